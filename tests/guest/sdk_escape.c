/* sdk_escape.c — a guest module exercising guest/c/wadup.h for
 * tests/guest/run_sdk_escape.mjs: the SDK's own argument checks (return
 * values), JSON escaping of hostile strings and filenames, number
 * formatting, sub-content emission and fresh environment reads.
 * process() returns 0, or the source line of the first failed check. */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <math.h>
#include <string.h>

#define EXPECT(cond) do { if (!(cond)) return __LINE__; } while (0)

static const wadup_column strings_cols[] = {{"id", WADUP_INT64}, {"s", WADUP_STRING}};
static const wadup_column numbers_cols[] = {{"i", WADUP_INT64}, {"f", WADUP_FLOAT64}, {"b", WADUP_BOOLEAN}};
static const wadup_column env_cols[] = {{"filename", WADUP_STRING}, {"uuid", WADUP_STRING}, {"depth", WADUP_STRING}};

/* check_define_rules: what wadup_define_table must refuse or accept. */
static int check_define_rules(void) {
    static const char long_name[] = "xn123456789012345678901234567890123456789012345678901234567890123"; /* 65 */
    const wadup_column dup[] = {{"a", WADUP_INT64}, {"a", WADUP_STRING}};
    const wadup_column bad_type[] = {{"a", (wadup_type)99}};
    const wadup_column bad_col[] = {{"a-b", WADUP_INT64}};
    const wadup_column other[] = {{"id", WADUP_INT64}, {"s", WADUP_INT64}};
    EXPECT(wadup_define_table("1x", strings_cols, 2) == -1);
    EXPECT(wadup_define_table("a-b", strings_cols, 2) == -1);
    EXPECT(wadup_define_table("", strings_cols, 2) == -1);
    EXPECT(wadup_define_table(NULL, strings_cols, 2) == -1);
    EXPECT(wadup_define_table(long_name, strings_cols, 2) == -1);
    EXPECT(wadup_define_table(long_name + 1, strings_cols, 2) == 0); /* exactly 64 bytes */
    EXPECT(wadup_define_table("t", strings_cols, 0) == -1);
    EXPECT(wadup_define_table("t", dup, 2) == -1);
    EXPECT(wadup_define_table("t", bad_type, 1) == -1);
    EXPECT(wadup_define_table("t", bad_col, 1) == -1);
    EXPECT(wadup_define_table("strings", strings_cols, 2) == 0);
    EXPECT(wadup_define_table("strings", strings_cols, 2) == 0); /* identical again */
    EXPECT(wadup_define_table("strings", other, 2) == -1);
    EXPECT(wadup_define_table("strings", strings_cols, 1) == -1);
    EXPECT(wadup_define_table("numbers", numbers_cols, 3) == 0);
    EXPECT(wadup_define_table("env", env_cols, 3) == 0);
    return 0;
}

/* check_row_rules: rows the SDK itself must refuse. */
static int check_row_rules(void) {
    EXPECT(WADUP_ROW("nope", wadup_int64(1)) == -1);
    EXPECT(WADUP_ROW("strings", wadup_int64(1)) == -1);                       /* too few */
    EXPECT(WADUP_ROW("strings", wadup_int64(1), wadup_string("a"), wadup_null()) == -1); /* too many */
    EXPECT(WADUP_ROW("strings", wadup_string("1"), wadup_string("a")) == -1); /* wrong type */
    EXPECT(WADUP_ROW("numbers", wadup_int64(1), wadup_float64(NAN), wadup_bool(1)) == -1);
    EXPECT(WADUP_ROW("numbers", wadup_int64(1), wadup_float64(INFINITY), wadup_bool(1)) == -1);
    EXPECT(WADUP_ROW("numbers", wadup_int64(1), wadup_float64(-INFINITY), wadup_bool(1)) == -1);
    EXPECT(wadup_insert_row("strings", NULL, 0) == -1);
    EXPECT(wadup_insert_row(NULL, NULL, 0) == -1);
    return 0;
}

/* add_string_rows: hostile strings; the runner knows the expected decoding. */
static int add_string_rows(void) {
    char controls[33];
    for (int i = 0; i < 31; i++) controls[i] = (char)(i + 1);
    controls[31] = 0x7f;
    controls[32] = 0;
    EXPECT(WADUP_ROW("strings", wadup_int64(0), wadup_string("quote\" backslash\\ slash/ <>&'")) == 0);
    EXPECT(WADUP_ROW("strings", wadup_int64(1), wadup_string(controls)) == 0);
    EXPECT(WADUP_ROW("strings", wadup_int64(2), wadup_string_n("a\0b\0", 4)) == 0);
    EXPECT(WADUP_ROW("strings", wadup_int64(3), wadup_string("\xff|x\xc3|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xfe")) == 0);
    EXPECT(WADUP_ROW("strings", wadup_int64(4), wadup_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf")) == 0);
    EXPECT(WADUP_ROW("strings", wadup_int64(5), wadup_string(NULL)) == 0);
    EXPECT(WADUP_ROW("strings", wadup_int64(6), wadup_string("tail\xf0\x9f\x98")) == 0);
    EXPECT(WADUP_ROW("strings", wadup_null(), wadup_string_n("", 0)) == 0);
    return 0;
}

static int add_number_rows(void) {
    EXPECT(WADUP_ROW("numbers", wadup_int64(INT64_MIN), wadup_float64(0.1), wadup_bool(0)) == 0);
    EXPECT(WADUP_ROW("numbers", wadup_int64(INT64_MAX), wadup_float64(-0.0), wadup_bool(42)) == 0);
    EXPECT(WADUP_ROW("numbers", wadup_int64(0), wadup_float64(1e300), wadup_null()) == 0);
    EXPECT(WADUP_ROW("numbers", wadup_int64(-1), wadup_float64(5e-324), wadup_bool(1)) == 0);
    EXPECT(WADUP_ROW("numbers", wadup_int64(7), wadup_float64(123456789.0), wadup_bool(1)) == 0);
    EXPECT(WADUP_ROW("numbers", wadup_int64(8), wadup_float64(-1.7976931348623157e308), wadup_bool(1)) == 0);
    return 0;
}

/* add_env_row: the environment as seen now; also checks that an earlier
 * result stays valid while the environment is unchanged. */
static int add_env_row(void) {
    const char *name = wadup_filename();
    const char *uuid = wadup_getenv("WADUP_CONTENT_UUID");
    EXPECT(wadup_filename() == name); /* unchanged environment: same pointer */
    EXPECT(wadup_getenv("WADUP_CONTENT_UUID=") == NULL);
    EXPECT(wadup_getenv("") == NULL);
    EXPECT(wadup_getenv("WADUP_FILENAM") == NULL); /* prefix of a name is not a match */
    EXPECT(WADUP_ROW("env", wadup_string(name), wadup_string(uuid), wadup_string(wadup_getenv("WADUP_DEPTH"))) == 0);
    return 0;
}

static int emit_subcontent(void) {
    static const char bytes[] = {'b', 0, 'y', (char)0xff, 't', 'e', 's'};
    EXPECT(wadup_emit_bytes(bytes, sizeof bytes, "we\"ird\\name\x01\xff.bin") == 0);
    EXPECT(wadup_emit_slice(5, 10, "slice\n\xc3\xa9.txt") == 0);
    EXPECT(wadup_emit_slice((uint64_t)INT64_MAX + 1, 1, "x") == -1);
    EXPECT(wadup_emit_slice(0, (uint64_t)INT64_MAX + 1, "x") == -1);
    EXPECT(wadup_emit_slice(0, 1, NULL) == -1);
    EXPECT(wadup_emit_bytes(NULL, 1, "x") == -1);
    EXPECT(wadup_emit_bytes("", 0, "empty.bin") == 0);
    return 0;
}

WADUP_EXPORT("process")
int process(void) {
    int line;
    EXPECT(wadup_flush() == 0); /* nothing queued: no file */
    if ((line = check_define_rules()) != 0) return line;
    if ((line = check_row_rules()) != 0) return line;
    if ((line = add_string_rows()) != 0) return line;
    if ((line = add_number_rows()) != 0) return line;
    if ((line = add_env_row()) != 0) return line;
    if ((line = emit_subcontent()) != 0) return line;
    EXPECT(wadup_flush() == 0);
    EXPECT(wadup_flush() == 0); /* queue empty again: no second file */
    return 0;
}
