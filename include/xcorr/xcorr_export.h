/* XCORR_API: marks the symbols that the xcorr library exports.
 *
 * The library is built with hidden visibility; only declarations marked
 * XCORR_API are visible outside it. A shared build defines XCORR_SHARED_DEFINE
 * for itself and its users (CMake propagates it), and XCORR_EXPORTS while
 * compiling the library itself. Plain C, so that xcorr.h stays C99. */
#ifndef XCORR_XCORR_EXPORT_H_
#define XCORR_XCORR_EXPORT_H_

#if !defined(XCORR_SHARED_DEFINE)
#define XCORR_API
#elif defined(_WIN32)
#if defined(XCORR_EXPORTS)
#define XCORR_API __declspec(dllexport)
#else
#define XCORR_API __declspec(dllimport)
#endif
#else
#define XCORR_API __attribute__((visibility("default")))
#endif

#endif /* XCORR_XCORR_EXPORT_H_ */
