/* Test-harness stand-in for mscms.dll (Windows' colour management), loaded instead of Wine 8's
 * own with WINEDLLOVERRIDES=mscms=n.
 *
 * Qt's Windows platform plugin (qwindows.dll) asks mscms for the screen's colour profile
 * through four functions; Wine 8's WcsCreateIccProfile aborts the process, so the window never
 * opens. Here each of the four fails politely (no profile), and Qt falls back to sRGB, as it
 * does on a Windows machine whose screen has no profile. Never shipped: installer/wine/ only.
 */
#include <windows.h>

HANDLE WINAPI OpenColorProfileW(void *profile, DWORD access, DWORD share, DWORD creation)
{
    (void)profile; (void)access; (void)share; (void)creation;
    SetLastError(ERROR_NOT_SUPPORTED);
    return NULL;
}

BOOL WINAPI CloseColorProfile(HANDLE profile)
{
    return profile != NULL;
}

BOOL WINAPI GetColorProfileFromHandle(HANDLE profile, BYTE *buffer, DWORD *size)
{
    (void)profile; (void)buffer; (void)size;
    SetLastError(ERROR_NOT_SUPPORTED);
    return FALSE;
}

HANDLE WINAPI WcsCreateIccProfile(HANDLE profile, DWORD intent)
{
    (void)profile; (void)intent;
    SetLastError(ERROR_NOT_SUPPORTED);
    return NULL;
}
