# Smoke-test the frozen build on Windows, as scripts/smoke_frozen.sh does on Linux and macOS:
# the program runs from dist\convwiz with a PATH that holds no Python, and without a display
# (Qt's offscreen platform).
#
#   pwsh scripts/smoke_frozen.ps1 [dist\convwiz\convwiz.exe]
#
# Runs `convwiz --version`, `convwiz demo DIR --customers 200 --json` (the biller workbook,
# the flag file, the templates and the verification figures must be there), starts the window
# offscreen and stops it after 8 s, and asks `convwiz _ui-child` for an answer. Prints the
# bundle's size. Exits non-zero on any failure.
param([string]$Exe = (Join-Path $PSScriptRoot "..\dist\convwiz\convwiz.exe"))
$ErrorActionPreference = "Stop"
$LimitMB = 150

function Fail([string]$Message) {
    Write-Error "smoke: FAILED: $Message" -ErrorAction Continue
    exit 1
}

if (-not (Test-Path $Exe)) { Fail "no frozen program at ${Exe}: build installer\convwiz.spec first" }
$Exe = (Resolve-Path $Exe).Path
$Bundle = Split-Path $Exe -Parent

$tmp = Join-Path ([IO.Path]::GetTempPath()) ("convwiz-smoke-" + [Guid]::NewGuid().ToString("N"))
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
    # no Python on PATH: only Windows' own folders
    $env:PATH = "$env:SystemRoot\System32;$env:SystemRoot"
    Remove-Item Env:PYTHONPATH, Env:PYTHONHOME, Env:VIRTUAL_ENV -ErrorAction SilentlyContinue
    $env:TEMP = $tmp
    $env:TMP = $tmp
    $env:QT_QPA_PLATFORM = "offscreen"

    $version = & $Exe --version
    if ($LASTEXITCODE -ne 0) { Fail "--version exited $LASTEXITCODE" }
    if ($version -notlike "convwiz *") { Fail "--version printed '$version'" }
    Write-Host "smoke:   $version"

    Write-Host "smoke: $Exe demo (200 customers)"
    $demo = Join-Path $tmp "demo"
    $started = Get-Date
    $demoErr = Join-Path $tmp "demo.err"
    $out = & $Exe demo $demo --customers 200 --json 2> $demoErr
    $code = $LASTEXITCODE
    $elapsed = [int]((Get-Date) - $started).TotalSeconds
    if ($code -ne 0) {
        Get-Content $demoErr | Write-Host
        Fail "convwiz demo exited $code"
    }
    $result = ($out | Select-Object -Last 1) | ConvertFrom-Json
    if (-not $result.workbook -or -not (Test-Path $result.workbook)) { Fail "no biller workbook ($($result.workbook))" }
    # encrypted (ECMA-376 agile): an OLE compound file, never the plain XLSX zip
    $magic = [IO.File]::ReadAllBytes($result.workbook)[0..3]
    if ($magic[0] -ne 0xD0 -or $magic[1] -ne 0xCF -or $magic[2] -ne 0x11 -or $magic[3] -ne 0xE0) { Fail "$($result.workbook) is not an encrypted workbook (OLE compound file)" }
    if (-not $result.flag_file -or -not (Test-Path $result.flag_file)) { Fail "no flag file ($($result.flag_file))" }
    $header = Get-Content $result.flag_file -TotalCount 1
    if ($header -notlike "Customer Name,UTI Account Number,Email,Paperless,Autopay,*") { Fail "the flag file's header is wrong" }
    $raw = $out | Select-Object -Last 1
    if ($raw -notmatch '"preserved": false') { Fail "verification found no drift" }
    if ($raw -notmatch '"lost": ') { Fail "no verification figures in the result" }
    # the templates are package data (wizard/resources): the demo writes each one
    $templates = Get-ChildItem -Path $demo -Recurse -Filter *.txt | Where-Object { $_.DirectoryName -like "*templates" }
    if (@($templates).Count -lt 3) { Fail "the demo wrote $(@($templates).Count) templates, not 3" }
    if (Select-String -Path (Get-ChildItem $demo -Recurse -File).FullName -Pattern "PRIVATE KEY" -SimpleMatch -Quiet) {
        Fail "a private key was left in the project"
    }
    $icons = Join-Path $Bundle "_internal\wizard\resources\icons\step-done.svg"
    if (-not (Test-Path $icons)) { Fail "the window's icons are not in the bundle ($icons)" }

    Write-Host "smoke: $Exe gui (offscreen, stopped after 8 s)"
    $guiErr = Join-Path $tmp "gui.err"
    $guiOut = Join-Path $tmp "gui.out"
    $gui = Start-Process -FilePath $Exe -ArgumentList "gui" -WorkingDirectory $tmp -PassThru `
        -RedirectStandardError $guiErr -RedirectStandardOutput $guiOut
    if ($gui.WaitForExit(8000)) {
        Get-Content $guiErr | Write-Host
        Fail "the window did not start (exit $($gui.ExitCode))"
    }
    Stop-Process -Id $gui.Id -Force
    $gui.WaitForExit()
    if (Select-String -Path $guiErr -Pattern "traceback|could not load|cannot start" -Quiet) {
        Get-Content $guiErr | Write-Host
        Fail "the window reported an error"
    }

    $child = "not a job" | & $Exe _ui-child 2>$null
    if ("$child" -notlike '*"no job given"*') { Fail "convwiz _ui-child did not answer: $child" }

    $bytes = (Get-ChildItem $Bundle -Recurse -File | Measure-Object -Property Length -Sum).Sum
    $mb = [math]::Round($bytes / 1MB)
    Write-Host "smoke: the bundle $Bundle is $mb MB (limit $LimitMB MB on Linux; reported here)"
    Write-Host "smoke: OK: the frozen demo finished in $elapsed s; workbook $(Split-Path $result.workbook -Leaf)"
}
finally {
    Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}
