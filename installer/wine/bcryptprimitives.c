/* Test-harness stand-in for Windows 10's bcryptprimitives.dll, which Wine 8 lacks.
 *
 * Rust's standard library (inside the cryptography, bcrypt and python-calamine wheels) gets
 * its random numbers from bcryptprimitives!ProcessPrng, and the module fails to load without
 * it. This one fills the buffer from RtlGenRandom (advapi32's SystemFunction036, which Wine
 * has), as ProcessPrng does from the system's generator. Never shipped: installer/wine/ only.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE; /* Windows' ProcessPrng always succeeds */
}
