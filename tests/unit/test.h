/* test.h — a minimal unit-test harness: CHECK records failures and goes on,
 * REQUIRE stops the current test. Each test file defines its tests with
 * TEST(name) and lists them in main() via RUN(name); main returns
 * test_summary(). */
#ifndef WADUP_TEST_H
#define WADUP_TEST_H
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_failures = 0, test_checks = 0, test_count = 0, test_failed = 0;

#define TEST(name) static void name(void)
#define RUN(name) do { int _before = test_failures; test_count++; name(); \
    if (test_failures != _before) test_failed++; } while (0)
#define CHECK(cond) do { test_checks++; if (!(cond)) { test_failures++; \
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define REQUIRE(cond) do { test_checks++; if (!(cond)) { test_failures++; \
    fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); return; } } while (0)
#define CHECK_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); test_checks++; \
    if (_a != _b) { test_failures++; fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", \
    __FILE__, __LINE__, #a, _a, #b, _b); } } while (0)
#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); test_checks++; \
    if (!_a || !_b || strcmp(_a, _b) != 0) { test_failures++; fprintf(stderr, \
    "%s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); } } while (0)
#define CHECK_CONTAINS(hay, needle) do { const char *_h = (hay), *_n = (needle); test_checks++; \
    if (!_h || !strstr(_h, _n)) { test_failures++; fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", \
    __FILE__, __LINE__, _h ? _h : "(null)", _n); } } while (0)

static inline int test_summary(const char *suite) {
    fprintf(stderr, "%s: %d tests, %d checks, %d failures\n", suite, test_count, test_checks, test_failures);
    /* The line scripts/test.sh adds up. */
    fprintf(stderr, "TESTS %s: %d passed, %d failed\n", suite, test_count - test_failed, test_failed);
    return test_failures ? 1 : 0;
}
#endif
