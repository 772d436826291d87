/* test_metadata.c — unit tests for src/meta/metadata.c: the metadata file
 * format, its validation rules and error messages, schema persistence,
 * atomicity of rejected files, and sub-content descriptors. */
#include <stdlib.h>

#include <time.h>

#include "test.h"
#include "meta/metadata.h"

#define FILE_NAME "/metadata/a.json"

/* A schema and a batch, created fresh for each test. */
typedef struct fixture {
    meta_schema_t *schema;
    meta_batch_t batch;
    char *error;
} fixture_t;

static int fixture_init(fixture_t *f) {
    f->schema = meta_schema_new();
    meta_batch_init(&f->batch);
    f->error = NULL;
    return f->schema ? 0 : -1;
}

static void fixture_free(fixture_t *f) {
    meta_batch_clear(&f->batch); /* before the schema: rows point into it */
    meta_schema_free(f->schema);
    free(f->error);
}

/* parse: run meta_parse_file on a C string; the previous error is freed. */
static int parse(fixture_t *f, const char *json) {
    free(f->error);
    f->error = NULL;
    return meta_parse_file(f->schema, FILE_NAME, (const uint8_t *)json, strlen(json), NULL, &f->batch, NULL, &f->error);
}

/* expect_error: the parse fails with exactly `message`, and schema and
 * batch sizes are what they were before. */
static void expect_error(const char *json, const char *message) {
    fixture_t f;
    if (fixture_init(&f) != 0) { CHECK(0); return; }
    CHECK_EQ_INT(parse(&f, json), -1);
    CHECK_STR(f.error, message);
    CHECK_EQ_INT(meta_schema_count(f.schema), 0);
    CHECK_EQ_INT(f.batch.nrows, 0);
    CHECK_EQ_INT(f.batch.ntables, 0);
    fixture_free(&f);
}

/* expect_error_containing: as expect_error, for messages that quote
 * jansson's text (only a substring is pinned). */
static void expect_error_containing(const char *json, const char *part) {
    fixture_t f;
    if (fixture_init(&f) != 0) { CHECK(0); return; }
    CHECK_EQ_INT(parse(&f, json), -1);
    CHECK_CONTAINS(f.error, part);
    CHECK(f.error && strncmp(f.error, FILE_NAME ": ", strlen(FILE_NAME) + 2) == 0);
    CHECK_EQ_INT(meta_schema_count(f.schema), 0);
    CHECK_EQ_INT(f.batch.nrows, 0);
    fixture_free(&f);
}

#define SIZES_TABLE "{\"name\":\"file_sizes\",\"columns\":[{\"name\":\"size_bytes\",\"data_type\":\"Int64\"}]}"
#define ALL_TYPES_TABLE "{\"name\":\"t\",\"columns\":[{\"name\":\"i\",\"data_type\":\"Int64\"}," \
    "{\"name\":\"f\",\"data_type\":\"Float64\"},{\"name\":\"s\",\"data_type\":\"String\"}," \
    "{\"name\":\"b\",\"data_type\":\"Boolean\"}]}"

TEST(test_type_names) {
    CHECK_STR(meta_type_name(META_INT64), "Int64");
    CHECK_STR(meta_type_name(META_FLOAT64), "Float64");
    CHECK_STR(meta_type_name(META_STRING), "String");
    CHECK_STR(meta_type_name(META_BOOLEAN), "Boolean");
}

TEST(test_all_types_parsed) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    int rc = parse(&f, "{\"tables\":[" ALL_TYPES_TABLE "],\"rows\":["
                       "{\"table_name\":\"t\",\"values\":[{\"Int64\":-42},{\"Float64\":2.5},{\"String\":\"hi\"},{\"Boolean\":true}]},"
                       "{\"table_name\":\"t\",\"values\":[{\"Int64\":7},{\"Float64\":3},{\"String\":\"\"},{\"Boolean\":false}]}]}");
    CHECK_EQ_INT(rc, 0);
    CHECK(f.error == NULL);
    REQUIRE(meta_schema_count(f.schema) == 1);
    const meta_table_t *t = meta_schema_at(f.schema, 0);
    CHECK(meta_schema_at(f.schema, 1) == NULL);
    CHECK(meta_schema_find(f.schema, "t") == t);
    CHECK(meta_schema_find(f.schema, "nope") == NULL);
    CHECK_STR(t->name, "t");
    REQUIRE(t->ncolumns == 4);
    CHECK_STR(t->columns[0].name, "i");
    CHECK_EQ_INT(t->columns[0].type, META_INT64);
    CHECK_STR(t->columns[1].name, "f");
    CHECK_EQ_INT(t->columns[1].type, META_FLOAT64);
    CHECK_STR(t->columns[2].name, "s");
    CHECK_EQ_INT(t->columns[2].type, META_STRING);
    CHECK_STR(t->columns[3].name, "b");
    CHECK_EQ_INT(t->columns[3].type, META_BOOLEAN);
    REQUIRE(f.batch.ntables == 1 && f.batch.tables[0] == t);
    REQUIRE(f.batch.nrows == 2);
    const meta_value_t *v = f.batch.rows[0].values;
    CHECK(f.batch.rows[0].table == t);
    CHECK(!v[0].is_null && v[0].type == META_INT64 && v[0].u.i == -42);
    CHECK(!v[1].is_null && v[1].type == META_FLOAT64 && v[1].u.f == 2.5);
    CHECK(!v[2].is_null && v[2].type == META_STRING && v[2].u.s.len == 2);
    CHECK_STR(v[2].u.s.ptr, "hi");
    CHECK(!v[3].is_null && v[3].type == META_BOOLEAN && v[3].u.b == true);
    v = f.batch.rows[1].values;
    CHECK(v[0].u.i == 7);
    CHECK(v[1].type == META_FLOAT64 && v[1].u.f == 3.0); /* a JSON integer is a valid Float64 */
    CHECK(v[2].u.s.len == 0 && v[2].u.s.ptr && v[2].u.s.ptr[0] == 0);
    CHECK(v[3].u.b == false);
    fixture_free(&f);
}

TEST(test_null_values) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[" ALL_TYPES_TABLE "],\"rows\":["
                           "{\"table_name\":\"t\",\"values\":[null,null,null,null]}]}"), 0);
    REQUIRE(f.batch.nrows == 1);
    const meta_value_t *v = f.batch.rows[0].values;
    CHECK(v[0].is_null && v[0].type == META_INT64);
    CHECK(v[1].is_null && v[1].type == META_FLOAT64);
    CHECK(v[2].is_null && v[2].type == META_STRING);
    CHECK(v[3].is_null && v[3].type == META_BOOLEAN);
    fixture_free(&f);
}

TEST(test_strings_with_nul_and_unicode) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"s\",\"columns\":[{\"name\":\"v\",\"data_type\":\"String\"}]}],"
                           "\"rows\":[{\"table_name\":\"s\",\"values\":[{\"String\":\"a\\u0000b\"}]},"
                           "{\"table_name\":\"s\",\"values\":[{\"String\":\"h\\u00e9\\u20ac\\ud83d\\ude00\"}]},"
                           "{\"table_name\":\"s\",\"values\":[{\"String\":\"\xc3\xa9 \\\" \\\\ \\n\"}]}]}"), 0);
    REQUIRE(f.batch.nrows == 3);
    const meta_value_t *v = &f.batch.rows[0].values[0];
    CHECK_EQ_INT(v->u.s.len, 3);
    CHECK(memcmp(v->u.s.ptr, "a\0b", 4) == 0); /* content plus terminating NUL */
    v = &f.batch.rows[1].values[0];
    CHECK_EQ_INT(v->u.s.len, 10);
    CHECK_STR(v->u.s.ptr, "h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    v = &f.batch.rows[2].values[0];
    CHECK_STR(v->u.s.ptr, "\xc3\xa9 \" \\ \n");
    CHECK_EQ_INT(v->u.s.len, 8);
    fixture_free(&f);
}

TEST(test_int64_limits) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[" SIZES_TABLE "],\"rows\":["
                           "{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":9223372036854775807}]},"
                           "{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":-9223372036854775808}]},"
                           "{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":0}]}]}"), 0);
    REQUIRE(f.batch.nrows == 3);
    CHECK(f.batch.rows[0].values[0].u.i == INT64_MAX);
    CHECK(f.batch.rows[1].values[0].u.i == INT64_MIN);
    CHECK(f.batch.rows[2].values[0].u.i == 0);
    fixture_free(&f);
    expect_error_containing("{\"tables\":[" SIZES_TABLE "],\"rows\":["
                            "{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":9223372036854775808}]}]}",
                            "invalid JSON at line 1 column 161: too big integer");
    expect_error_containing("{\"x\":-9223372036854775809}", "too big negative integer");
    expect_error_containing("{\"x\":1e400}", "real number overflow");
}

TEST(test_non_finite_tokens_rejected) {
    expect_error_containing("{\"tables\":[{\"name\":\"f\",\"columns\":[{\"name\":\"v\",\"data_type\":\"Float64\"}]}],"
                            "\"rows\":[{\"table_name\":\"f\",\"values\":[{\"Float64\":NaN}]}]}",
                            ": invalid JSON at line 1 column ");
    expect_error_containing("{\"x\":NaN}", "invalid JSON at line 1 column 8: invalid token near 'NaN'");
    expect_error_containing("{\"x\":Infinity}", "invalid token");
    expect_error_containing("{\"x\":-Infinity}", "invalid token");
}

TEST(test_invalid_json) {
    expect_error_containing("", "invalid JSON at line 1 column 0: unexpected token near end of file");
    expect_error_containing("{\"rows\":[}", "invalid JSON at line 1 column 10");
    expect_error_containing("{}\n{}", "invalid JSON at line 2 column 1: end of file expected");
    expect_error_containing("{\"x\":\"\xff\"}", "unable to decode byte 0xff");
    expect_error_containing("{\"x\":\"\xe2\x82\"}", "unable to decode byte 0xe2");
    expect_error_containing("{\"x\":\"\\ud800\"}", "invalid Unicode '\\uD800'");
    expect_error_containing("{\"x\":\"\x01\"}", "control character 0x1");
    expect_error_containing("{\"rows\":[],\"rows\":[]}", "duplicate object key");
}

TEST(test_empty_object_and_unknown_keys) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{}"), 0);
    CHECK_EQ_INT(parse(&f, " {\"tables\":[],\"rows\":[]} \n"), 0);
    CHECK_EQ_INT(meta_schema_count(f.schema), 0);
    CHECK_EQ_INT(f.batch.nrows, 0);
    CHECK_EQ_INT(f.batch.ntables, 0);
    CHECK_EQ_INT(parse(&f, "{\"version\":2,\"tables\":[{\"name\":\"k\",\"comment\":1,"
                           "\"columns\":[{\"name\":\"c\",\"data_type\":\"Boolean\",\"nullable\":true}]}],"
                           "\"rows\":[{\"table_name\":\"k\",\"extra\":[],\"values\":[{\"Boolean\":true}]}]}"), 0);
    CHECK_EQ_INT(meta_schema_count(f.schema), 1);
    CHECK_EQ_INT(f.batch.nrows, 1);
    fixture_free(&f);
}

TEST(test_wrong_top_level_types) {
    expect_error("[]", FILE_NAME ": top-level value must be an object, got array");
    expect_error("1", FILE_NAME ": top-level value must be an object, got integer");
    expect_error("\"s\"", FILE_NAME ": top-level value must be an object, got string");
    expect_error("null", FILE_NAME ": top-level value must be an object, got null");
    expect_error("{\"tables\":{}}", FILE_NAME ": 'tables' must be an array, got object");
    expect_error("{\"rows\":\"x\"}", FILE_NAME ": 'rows' must be an array, got string");
    expect_error("{\"tables\":[1]}", FILE_NAME ": table 0: must be an object, got integer");
    expect_error("{\"rows\":[[]]}", FILE_NAME ": row 0: must be an object, got array");
}

TEST(test_missing_keys) {
    expect_error("{\"tables\":[{\"columns\":[{\"name\":\"c\",\"data_type\":\"Int64\"}]}]}",
                 FILE_NAME ": table 0: missing 'name'");
    expect_error("{\"tables\":[{\"name\":\"t\"}]}", FILE_NAME ": table 't': missing 'columns'");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"data_type\":\"Int64\"}]}]}",
                 FILE_NAME ": table 't' column 0: missing 'name'");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"c\"}]}]}",
                 FILE_NAME ": table 't' column 'c': missing 'data_type'");
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"values\":[null]}]}",
                 FILE_NAME ": row 0: missing 'table_name'");
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\"}]}",
                 FILE_NAME ": table 'file_sizes' row 0: missing 'values'");
}

TEST(test_wrong_member_types) {
    expect_error("{\"tables\":[{\"name\":5,\"columns\":[]}]}", FILE_NAME ": table 0: 'name' must be a string, got integer");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":{}}]}", FILE_NAME ": table 't': 'columns' must be an array, got object");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[\"c\"]}]}", FILE_NAME ": table 't' column 0: must be an object, got string");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"c\",\"data_type\":1}]}]}",
                 FILE_NAME ": table 't' column 'c': 'data_type' must be a string, got integer");
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":null,\"values\":[null]}]}",
                 FILE_NAME ": row 0: 'table_name' must be a string, got null");
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\",\"values\":{}}]}",
                 FILE_NAME ": table 'file_sizes' row 0: 'values' must be an array, got object");
}

TEST(test_name_rules) {
    char json[512];
    static const char *bad[] = {"1abc", "a-b", "", "a b", "\\u00e9", "a\\u0000b", "a.b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture_t f;
        REQUIRE(fixture_init(&f) == 0);
        snprintf(json, sizeof json, "{\"tables\":[{\"name\":\"%s\",\"columns\":[{\"name\":\"c\",\"data_type\":\"Int64\"}]}]}", bad[i]);
        CHECK_EQ_INT(parse(&f, json), -1);
        CHECK_CONTAINS(f.error, FILE_NAME ": table 0: invalid name '");
        CHECK_CONTAINS(f.error, "(names must match [A-Za-z_][A-Za-z0-9_]* and be at most 64 bytes)");
        snprintf(json, sizeof json, "{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"%s\",\"data_type\":\"Int64\"}]}]}", bad[i]);
        CHECK_EQ_INT(parse(&f, json), -1);
        CHECK_CONTAINS(f.error, FILE_NAME ": table 't' column 0: invalid name '");
        CHECK_EQ_INT(meta_schema_count(f.schema), 0);
        fixture_free(&f);
    }
    expect_error("{\"tables\":[{\"name\":\"a\\u0000b\",\"columns\":[{\"name\":\"c\",\"data_type\":\"Int64\"}]}]}",
                 FILE_NAME ": table 0: invalid name 'a\\x00b' (names must match [A-Za-z_][A-Za-z0-9_]* and be at most 64 bytes)");

    /* 64 bytes is the limit; names may start with '_' and contain digits */
    char name64[65], name65[66];
    memset(name64, 'n', 64); name64[64] = 0;
    memset(name65, 'n', 65); name65[65] = 0;
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    snprintf(json, sizeof json, "{\"tables\":[{\"name\":\"%s\",\"columns\":[{\"name\":\"_C9\",\"data_type\":\"Int64\"}]}]}", name64);
    CHECK_EQ_INT(parse(&f, json), 0);
    CHECK(meta_schema_find(f.schema, name64) != NULL);
    snprintf(json, sizeof json, "{\"tables\":[{\"name\":\"%s\",\"columns\":[{\"name\":\"c\",\"data_type\":\"Int64\"}]}]}", name65);
    CHECK_EQ_INT(parse(&f, json), -1);
    CHECK_CONTAINS(f.error, ": table 0: invalid name 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (names");
    CHECK_EQ_INT(meta_schema_count(f.schema), 1);
    fixture_free(&f);
}

TEST(test_table_rules) {
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"c\",\"data_type\":\"Int32\"}]}]}",
                 FILE_NAME ": table 't' column 'c': unknown data_type 'Int32' (expected Int64, Float64, String or Boolean)");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"c\",\"data_type\":\"int64\"}]}]}",
                 FILE_NAME ": table 't' column 'c': unknown data_type 'int64' (expected Int64, Float64, String or Boolean)");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"c\",\"data_type\":\"Int64\\u0000\"}]}]}",
                 FILE_NAME ": table 't' column 'c': unknown data_type 'Int64\\x00' (expected Int64, Float64, String or Boolean)");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[]}]}", FILE_NAME ": table 't': a table needs at least one column");
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"data_type\":\"Int64\"},"
                 "{\"name\":\"b\",\"data_type\":\"String\"},{\"name\":\"a\",\"data_type\":\"String\"}]}]}",
                 FILE_NAME ": table 't': duplicate column 'a'");
}

TEST(test_redefinition_in_later_file) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[" SIZES_TABLE "]}"), 0);
    const meta_table_t *t = meta_schema_find(f.schema, "file_sizes");
    REQUIRE(t != NULL);
    /* identical: accepted, resolves to the same table */
    CHECK_EQ_INT(parse(&f, "{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":1}]}]}"), 0);
    CHECK_EQ_INT(meta_schema_count(f.schema), 1);
    REQUIRE(f.batch.ntables == 1); /* a batch lists each table once */
    CHECK(f.batch.tables[0] == t);
    CHECK(f.batch.nrows == 1 && f.batch.rows[0].table == t);
    /* different type, different name, different column count, different order */
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"file_sizes\",\"columns\":[{\"name\":\"size_bytes\",\"data_type\":\"String\"}]}]}"), -1);
    CHECK_STR(f.error, FILE_NAME ": table 'file_sizes' is already defined with different columns "
                       "(size_bytes Int64); this definition has (size_bytes String)");
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"file_sizes\",\"columns\":[{\"name\":\"size\",\"data_type\":\"Int64\"}]}]}"), -1);
    CHECK_CONTAINS(f.error, "table 'file_sizes' is already defined with different columns");
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"file_sizes\",\"columns\":[{\"name\":\"size_bytes\",\"data_type\":\"Int64\"},"
                           "{\"name\":\"x\",\"data_type\":\"Int64\"}]}]}"), -1);
    CHECK_CONTAINS(f.error, "table 'file_sizes' is already defined with different columns (size_bytes Int64); "
                            "this definition has (size_bytes Int64, x Int64)");
    CHECK_EQ_INT(meta_schema_count(f.schema), 1);
    CHECK(meta_schema_find(f.schema, "file_sizes") == t && t->ncolumns == 1 && t->columns[0].type == META_INT64);
    CHECK_EQ_INT(f.batch.ntables, 1);
    CHECK_EQ_INT(f.batch.nrows, 1);
    fixture_free(&f);
}

TEST(test_redefinition_in_same_file) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[" SIZES_TABLE "," SIZES_TABLE "]}"), 0);
    CHECK_EQ_INT(meta_schema_count(f.schema), 1);
    CHECK_EQ_INT(f.batch.ntables, 1); /* listed once per file */
    fixture_free(&f);
    expect_error("{\"tables\":[" SIZES_TABLE ",{\"name\":\"file_sizes\",\"columns\":[{\"name\":\"size_bytes\",\"data_type\":\"Float64\"}]}]}",
                 FILE_NAME ": table 'file_sizes' is already defined with different columns (size_bytes Int64); "
                 "this definition has (size_bytes Float64)");
}

TEST(test_redefinition_message_is_bounded) {
    /* a table with 10 columns is described by its first 8 and the count */
    const char *cols = "[{\"name\":\"a\",\"data_type\":\"Int64\"},{\"name\":\"b\",\"data_type\":\"Int64\"},"
                       "{\"name\":\"c\",\"data_type\":\"Int64\"},{\"name\":\"d\",\"data_type\":\"Int64\"},"
                       "{\"name\":\"e\",\"data_type\":\"Int64\"},{\"name\":\"f\",\"data_type\":\"Int64\"},"
                       "{\"name\":\"g\",\"data_type\":\"Int64\"},{\"name\":\"h\",\"data_type\":\"Int64\"},"
                       "{\"name\":\"i\",\"data_type\":\"Int64\"},{\"name\":\"j\",\"data_type\":\"Int64\"}]";
    char json[1024];
    snprintf(json, sizeof json, "{\"tables\":[{\"name\":\"w\",\"columns\":%s},{\"name\":\"w\",\"columns\":[{\"name\":\"a\",\"data_type\":\"Int64\"}]}]}", cols);
    expect_error(json, FILE_NAME ": table 'w' is already defined with different columns "
                       "(a Int64, b Int64, c Int64, d Int64, e Int64, f Int64, g Int64, h Int64, ... 10 columns); "
                       "this definition has (a Int64)");
}

TEST(test_rows_before_tables_in_file) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":123}]}],"
                           "\"tables\":[" SIZES_TABLE "]}"), 0);
    REQUIRE(f.batch.nrows == 1);
    CHECK(f.batch.rows[0].table == meta_schema_find(f.schema, "file_sizes"));
    CHECK(f.batch.rows[0].values[0].u.i == 123);
    fixture_free(&f);
}

TEST(test_schema_persists_across_files) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[" SIZES_TABLE "]}"), 0);
    CHECK_EQ_INT(f.batch.nrows, 0);
    meta_batch_clear(&f.batch); /* a new call: new batch, same schema */
    CHECK(f.batch.ntables == 0 && f.batch.nrows == 0 && f.batch.rows == NULL && f.batch.tables == NULL);
    CHECK_EQ_INT(parse(&f, "{\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":5}]}]}"), 0);
    CHECK_EQ_INT(f.batch.ntables, 0); /* nothing (re)defined in this file */
    REQUIRE(f.batch.nrows == 1);
    CHECK(f.batch.rows[0].table == meta_schema_find(f.schema, "file_sizes"));
    CHECK(f.batch.rows[0].values[0].u.i == 5);
    /* rows append to the batch across files */
    CHECK_EQ_INT(parse(&f, "{\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":6}]}]}"), 0);
    REQUIRE(f.batch.nrows == 2);
    CHECK(f.batch.rows[1].values[0].u.i == 6);
    fixture_free(&f);
}

TEST(test_row_rules) {
    expect_error("{\"rows\":[{\"table_name\":\"nope\",\"values\":[]}]}", FILE_NAME ": row 0: table 'nope' is not defined");
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[null]},"
                 "{\"table_name\":\"file_size\",\"values\":[null]}]}", FILE_NAME ": row 1: table 'file_size' is not defined");
    expect_error("{\"rows\":[{\"table_name\":\"a'\\u0001\\\\\",\"values\":[]}]}",
                 FILE_NAME ": row 0: table 'a\\x27\\x01\\x5c' is not defined");
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[]}]}",
                 FILE_NAME ": table 'file_sizes' row 0: expected 1 values, got 0");
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[null,null]}]}",
                 FILE_NAME ": table 'file_sizes' row 0: expected 1 values, got 2");
}

/* value_error: the message for one bad value in column v of a table with
 * one column of type `type`. */
static void expect_value_error(const char *type, const char *value, const char *detail) {
    char json[512], message[512];
    snprintf(json, sizeof json, "{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"v\",\"data_type\":\"%s\"}]}],"
             "\"rows\":[{\"table_name\":\"t\",\"values\":[null]},{\"table_name\":\"t\",\"values\":[%s]}]}", type, value);
    snprintf(message, sizeof message, FILE_NAME ": table 't' row 1 column 'v': %s", detail);
    expect_error(json, message);
}

TEST(test_value_rules) {
    expect_error("{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":1}]},"
                 "{\"table_name\":\"file_sizes\",\"values\":[{\"String\":\"1\"}]}]}",
                 FILE_NAME ": table 'file_sizes' row 1 column 'size_bytes': expected Int64, got String");
    expect_value_error("Int64", "{\"Int64\":1.0}", "Int64 value must be a JSON integer, got real");
    expect_value_error("Int64", "{\"Int64\":\"1\"}", "Int64 value must be a JSON integer, got string");
    expect_value_error("Int64", "{\"Int64\":null}", "Int64 value must be a JSON integer, got null");
    expect_value_error("Int64", "{\"Float64\":1}", "expected Int64, got Float64");
    expect_value_error("Float64", "{\"Int64\":1}", "expected Float64, got Int64");
    expect_value_error("Float64", "{\"Float64\":\"nan\"}", "Float64 value must be a JSON number, got string");
    expect_value_error("Float64", "{\"Float64\":true}", "Float64 value must be a JSON number, got true");
    expect_value_error("String", "{\"String\":5}", "String value must be a JSON string, got integer");
    expect_value_error("String", "{\"Boolean\":true}", "expected String, got Boolean");
    expect_value_error("Boolean", "{\"Boolean\":1}", "Boolean value must be true or false, got integer");
    expect_value_error("Boolean", "{\"Boolean\":\"true\"}", "Boolean value must be true or false, got string");
    expect_value_error("Boolean", "{\"String\":\"x\"}", "expected Boolean, got String");
    expect_value_error("Int64", "{}", "expected an object with exactly one key (\"Int64\"), got 0 keys");
    expect_value_error("Int64", "{\"Int64\":1,\"Float64\":2}", "expected an object with exactly one key (\"Int64\"), got 2 keys");
    expect_value_error("Int64", "{\"Int32\":1}", "unknown value type 'Int32' (expected Int64)");
    expect_value_error("Int64", "{\"int64\":1}", "unknown value type 'int64' (expected Int64)");
    expect_value_error("Int64", "5", "expected null or an object like {\"Int64\": ...}, got integer");
    expect_value_error("String", "\"s\"", "expected null or an object like {\"String\": ...}, got string");
    expect_value_error("Boolean", "[true]", "expected null or an object like {\"Boolean\": ...}, got array");
    /* a failing String value after a good one in the same row frees the good one (ASan) */
    expect_error("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"a\",\"data_type\":\"String\"},{\"name\":\"b\",\"data_type\":\"String\"}]}],"
                 "\"rows\":[{\"table_name\":\"t\",\"values\":[{\"String\":\"kept\"},{\"String\":7}]}]}",
                 FILE_NAME ": table 't' row 0 column 'b': String value must be a JSON string, got integer");
}

TEST(test_float_values) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"f\",\"columns\":[{\"name\":\"v\",\"data_type\":\"Float64\"}]}],\"rows\":["
                           "{\"table_name\":\"f\",\"values\":[{\"Float64\":0.1}]},"
                           "{\"table_name\":\"f\",\"values\":[{\"Float64\":-1.7976931348623157e308}]},"
                           "{\"table_name\":\"f\",\"values\":[{\"Float64\":-9223372036854775808}]},"
                           "{\"table_name\":\"f\",\"values\":[{\"Float64\":5e-324}]}]}"), 0);
    REQUIRE(f.batch.nrows == 4);
    CHECK(f.batch.rows[0].values[0].u.f == 0.1);
    CHECK(f.batch.rows[1].values[0].u.f == -1.7976931348623157e308);
    CHECK(f.batch.rows[2].values[0].u.f == -9223372036854775808.0);
    CHECK(f.batch.rows[3].values[0].u.f == 5e-324);
    fixture_free(&f);
}

TEST(test_rejected_file_is_atomic) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(parse(&f, "{\"tables\":[" SIZES_TABLE "],\"rows\":[{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":1}]}]}"), 0);
    const meta_row_t *rows_before = f.batch.rows;
    /* a new table, a good row for it, a good row for the old table, then a bad row */
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"fresh\",\"columns\":[{\"name\":\"s\",\"data_type\":\"String\"}]}],"
                           "\"rows\":[{\"table_name\":\"fresh\",\"values\":[{\"String\":\"x\"}]},"
                           "{\"table_name\":\"file_sizes\",\"values\":[{\"Int64\":2}]},"
                           "{\"table_name\":\"fresh\",\"values\":[{\"Int64\":3}]}]}"), -1);
    CHECK_STR(f.error, FILE_NAME ": table 'fresh' row 2 column 's': expected String, got Int64");
    CHECK_EQ_INT(meta_schema_count(f.schema), 1);
    CHECK(meta_schema_find(f.schema, "fresh") == NULL);
    CHECK_EQ_INT(f.batch.ntables, 1);
    REQUIRE(f.batch.nrows == 1);
    CHECK(f.batch.rows == rows_before);
    CHECK(f.batch.rows[0].values[0].u.i == 1);
    /* a bad table after a good new one: neither is registered */
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"fresh\",\"columns\":[{\"name\":\"s\",\"data_type\":\"String\"}]},"
                           "{\"name\":\"bad\",\"columns\":[]}]}"), -1);
    CHECK_STR(f.error, FILE_NAME ": table 'bad': a table needs at least one column");
    CHECK(meta_schema_find(f.schema, "fresh") == NULL);
    /* the same content without the bad part is then accepted */
    CHECK_EQ_INT(parse(&f, "{\"tables\":[{\"name\":\"fresh\",\"columns\":[{\"name\":\"s\",\"data_type\":\"String\"}]}]}"), 0);
    CHECK(f.error == NULL);
    CHECK_EQ_INT(meta_schema_count(f.schema), 2);
    fixture_free(&f);
}

TEST(test_many_tables_and_rows) {
    /* exercises the name index through several growth steps */
    enum { NTABLES = META_MAX_TABLES };
    size_t cap = (size_t)NTABLES * 160 + 64, len = 0;
    char *json = malloc(cap);
    REQUIRE(json != NULL);
    len += (size_t)snprintf(json + len, cap - len, "{\"tables\":[");
    for (int i = 0; i < NTABLES; i++) {
        len += (size_t)snprintf(json + len, cap - len, "%s{\"name\":\"t%d\",\"columns\":[{\"name\":\"v\",\"data_type\":\"Int64\"}]}",
                                i ? "," : "", i);
    }
    len += (size_t)snprintf(json + len, cap - len, "],\"rows\":[");
    for (int i = NTABLES - 1; i >= 0; i--) {
        len += (size_t)snprintf(json + len, cap - len, "%s{\"table_name\":\"t%d\",\"values\":[{\"Int64\":%d}]}",
                                i != NTABLES - 1 ? "," : "", i, i);
    }
    len += (size_t)snprintf(json + len, cap - len, "]}");
    REQUIRE(len < cap);
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    CHECK_EQ_INT(meta_parse_file(f.schema, FILE_NAME, (const uint8_t *)json, len, NULL, &f.batch, NULL, &f.error), 0);
    CHECK_EQ_INT(meta_schema_count(f.schema), NTABLES);
    CHECK_EQ_INT(f.batch.ntables, NTABLES);
    REQUIRE(f.batch.nrows == NTABLES);
    int mismatches = 0;
    for (int i = 0; i < NTABLES; i++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", NTABLES - 1 - i);
        const meta_row_t *r = &f.batch.rows[i];
        if (strcmp(r->table->name, name) != 0 || r->table != meta_schema_find(f.schema, name) ||
            r->values[0].u.i != NTABLES - 1 - i || f.batch.tables[i] != meta_schema_at(f.schema, (size_t)i)) {
            mismatches++;
        }
    }
    CHECK_EQ_INT(mismatches, 0);
    fixture_free(&f);
    free(json);
}

TEST(test_error_pointer_optional_and_binary_input) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    /* no error pointer: still fails cleanly */
    CHECK_EQ_INT(meta_parse_file(f.schema, FILE_NAME, (const uint8_t *)"[]", 2, NULL, &f.batch, NULL, NULL), -1);
    /* an explicit length: bytes after it are not read; an embedded raw NUL is invalid JSON */
    CHECK_EQ_INT(meta_parse_file(f.schema, FILE_NAME, (const uint8_t *)"{}garbage", 2, NULL, &f.batch, NULL, &f.error), 0);
    CHECK_EQ_INT(meta_parse_file(f.schema, FILE_NAME, (const uint8_t *)"{}\0", 3, NULL, &f.batch, NULL, &f.error), -1);
    CHECK_CONTAINS(f.error, FILE_NAME ": invalid JSON at line 1 column ");
    fixture_free(&f);
}

/* ---- sub-content descriptors ---- */

static int parse_sub(const char *json, meta_subcontent_t *out, char **error) {
    free(*error);
    *error = NULL;
    return meta_parse_subcontent("/subcontent/metadata_0.json", (const uint8_t *)json, strlen(json), NULL, out, error);
}

TEST(test_subcontent_valid) {
    meta_subcontent_t sc;
    char *error = NULL;
    CHECK_EQ_INT(parse_sub("{\"filename\":\"inner.txt\"}", &sc, &error), 0);
    CHECK(error == NULL);
    CHECK_STR(sc.filename, "inner.txt");
    CHECK(!sc.is_slice && sc.offset == 0 && sc.length == 0);
    free(sc.filename);
    CHECK_EQ_INT(parse_sub("{\"filename\":\"d/\\u00e9.bin\",\"offset\":10,\"length\":0,\"extra\":[1]}", &sc, &error), 0);
    CHECK_STR(sc.filename, "d/\xc3\xa9.bin");
    CHECK(sc.is_slice && sc.offset == 10 && sc.length == 0);
    free(sc.filename);
    CHECK_EQ_INT(parse_sub("{\"offset\":9223372036854775807,\"length\":9223372036854775807,\"filename\":\"\"}", &sc, &error), 0);
    CHECK(sc.is_slice && sc.offset == INT64_MAX && sc.length == INT64_MAX);
    CHECK_STR(sc.filename, "");
    free(sc.filename);
}

static void expect_sub_error(const char *json, const char *message) {
    meta_subcontent_t sc;
    char *error = NULL;
    CHECK_EQ_INT(parse_sub(json, &sc, &error), -1);
    CHECK(sc.filename == NULL);
    CHECK_STR(error, message);
    free(error);
}

static void expect_sub_error_containing(const char *json, const char *part) {
    meta_subcontent_t sc;
    char *error = NULL;
    CHECK_EQ_INT(parse_sub(json, &sc, &error), -1);
    CHECK(sc.filename == NULL);
    CHECK_CONTAINS(error, part);
    free(error);
}

TEST(test_subcontent_invalid) {
#define SUB "/subcontent/metadata_0.json: "
    expect_sub_error("{}", SUB "missing 'filename'");
    expect_sub_error("{\"filename\":null}", SUB "'filename' must be a string, got null");
    expect_sub_error("{\"filename\":[\"a\"]}", SUB "'filename' must be a string, got array");
    expect_sub_error("{\"filename\":\"a\\u0000b\"}", SUB "'filename' must not contain NUL");
    expect_sub_error("{\"filename\":\"a\",\"offset\":1}", SUB "'offset' and 'length' must be given together");
    expect_sub_error("{\"filename\":\"a\",\"length\":1}", SUB "'offset' and 'length' must be given together");
    expect_sub_error("{\"filename\":\"a\",\"offset\":-1,\"length\":1}", SUB "'offset' must be a non-negative integer, got -1");
    expect_sub_error("{\"filename\":\"a\",\"offset\":0,\"length\":-5}", SUB "'length' must be a non-negative integer, got -5");
    expect_sub_error("{\"filename\":\"a\",\"offset\":1.0,\"length\":1}", SUB "'offset' must be a non-negative integer, got real");
    expect_sub_error("{\"filename\":\"a\",\"offset\":0,\"length\":true}", SUB "'length' must be a non-negative integer, got true");
    expect_sub_error("{\"filename\":\"a\",\"offset\":\"0\",\"length\":1}", SUB "'offset' must be a non-negative integer, got string");
    expect_sub_error("{\"filename\":\"a\",\"offset\":null,\"length\":1}", SUB "'offset' must be a non-negative integer, got null");
    expect_sub_error("[]", SUB "top-level value must be an object, got array");
    expect_sub_error_containing("{\"filename\":\"a\",\"offset\":9223372036854775808,\"length\":1}", SUB "invalid JSON at line 1 column 44: too big integer");
    expect_sub_error_containing("{\"filename\":\"a\",\"filename\":\"b\"}", SUB "invalid JSON at line 1 column 26: duplicate object key");
    expect_sub_error_containing("{\"filename\":\"\xff\"}", "unable to decode byte 0xff");
    expect_sub_error_containing("", SUB "invalid JSON at line 1 column 0");
#undef SUB
}

/* parse_lim: meta_parse_file with limits and usage; the previous error is freed. */
static int parse_lim(fixture_t *f, const char *json, size_t len, const meta_limits_t *lim, meta_usage_t *use) {
    free(f->error);
    f->error = NULL;
    return meta_parse_file(f->schema, FILE_NAME, (const uint8_t *)json, len, lim, &f->batch, use, &f->error);
}

/* json_of_many: "{\"tables\":[" + n copies of item (with %d = index) + "]}" */
static char *json_of_many(const char *head, const char *item, const char *tail, int n, size_t *len_out) {
    size_t cap = strlen(head) + strlen(tail) + (size_t)n * (strlen(item) + 24) + 16, len = 0;
    char *json = malloc(cap);
    if (!json) return NULL;
    len += (size_t)snprintf(json + len, cap - len, "%s", head);
    for (int i = 0; i < n; i++) {
        if (i) json[len++] = ',';
        len += (size_t)snprintf(json + len, cap - len, item, i);
    }
    len += (size_t)snprintf(json + len, cap - len, "%s", tail);
    *len_out = len;
    return json;
}

TEST(test_definition_caps) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    size_t len;
    char *json = json_of_many("{\"tables\":[{\"name\":\"wide\",\"columns\":[", "{\"name\":\"c%d\",\"data_type\":\"Int64\"}",
                              "]}]}", META_MAX_COLUMNS + 1, &len);
    REQUIRE(json);
    CHECK_EQ_INT(parse_lim(&f, json, len, NULL, NULL),
                 META_ERR_INVALID);
    CHECK_CONTAINS(f.error, "table 'wide': 1001 columns, more than the limit of 1000 columns per table");
    free(json);
    json = json_of_many("{\"tables\":[{\"name\":\"wide\",\"columns\":[", "{\"name\":\"c%d\",\"data_type\":\"Int64\"}",
                        "]}]}", META_MAX_COLUMNS, &len);
    REQUIRE(json);
    CHECK_EQ_INT(parse_lim(&f, json, len, NULL, NULL), 0);
    free(json);
    /* one table defined above: META_MAX_TABLES - 1 more fit, then no more */
    json = json_of_many("{\"tables\":[", "{\"name\":\"t%d\",\"columns\":[{\"name\":\"v\",\"data_type\":\"Int64\"}]}", "]}",
                        META_MAX_TABLES, &len);
    REQUIRE(json);
    CHECK_EQ_INT(parse_lim(&f, json, len, NULL, NULL),
                 META_ERR_INVALID);
    CHECK_CONTAINS(f.error, "the module already defines 1000 tables, the most a module may define");
    CHECK_EQ_INT(meta_schema_count(f.schema), 1);
    free(json);
    fixture_free(&f);
}

/* The parse tree of [{},{},...] costs many times the file: the limit
 * counts what parsing really allocates. */
TEST(test_memory_limit_counts_the_parse_tree) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    size_t len;
    char *json = json_of_many("[", "{}", "]", 1 << 20, &len); /* about 3 MiB */
    REQUIRE(json);
    meta_limits_t lim = {16u << 20, 0};
    CHECK_EQ_INT(parse_lim(&f, json, len, &lim, NULL),
                 META_ERR_MEMORY);
    CHECK_CONTAINS(f.error, "not parsed: parsing it needs more than the 16777216 bytes left under the memory limit");
    lim.max_bytes = 1u << 30; /* fits: then it fails only for being an array */
    CHECK_EQ_INT(parse_lim(&f, json, len, &lim, NULL),
                 META_ERR_INVALID);
    CHECK_CONTAINS(f.error, "top-level value must be an object");
    free(json);
    meta_subcontent_t d;
    char *err = NULL;
    lim.max_bytes = 64;
    const char *desc = "{\"filename\": \"a-reasonably-long-name.bin\"}";
    CHECK_EQ_INT(meta_parse_subcontent("/subcontent/metadata_0.json", (const uint8_t *)desc, strlen(desc), &lim, &d, &err),
                 META_ERR_MEMORY);
    free(err);
    fixture_free(&f);
}

TEST(test_usage_and_limit_of_rows) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    size_t len;
    char *json = json_of_many("{\"tables\":[{\"name\":\"t\",\"columns\":[{\"name\":\"s\",\"data_type\":\"String\"}]}],"
                              "\"rows\":[", "{\"table_name\":\"t\",\"values\":[{\"String\":\"%08d\"}]}", "]}", 1000, &len);
    REQUIRE(json);
    meta_usage_t use;
    meta_limits_t lim = {1u << 30, 0};
    CHECK_EQ_INT(parse_lim(&f, json, len, &lim, &use), 0);
    /* each row: its record, one value and a 9-byte string, with malloc's overhead */
    CHECK(use.row_bytes >= 1000 * (sizeof(meta_row_t) + sizeof(meta_value_t) + 9));
    CHECK(use.row_bytes <= 1000 * 200);
    CHECK(use.schema_bytes > 0 && use.schema_bytes < 4096);
    meta_usage_t again;
    CHECK_EQ_INT(parse_lim(&f, json, len, &lim, &again), 0);
    CHECK_EQ_INT(again.schema_bytes, 0); /* an identical redefinition costs nothing more */
    CHECK_EQ_INT(again.row_bytes, use.row_bytes);
    lim.max_bytes = use.row_bytes; /* the rows alone fill it: the tree does not fit on top */
    CHECK_EQ_INT(parse_lim(&f, json, len, &lim, NULL),
                 META_ERR_MEMORY);
    CHECK_EQ_INT(f.batch.nrows, 2000);
    free(json);
    fixture_free(&f);
}

TEST(test_deadline) {
    fixture_t f;
    REQUIRE(fixture_init(&f) == 0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    meta_limits_t lim = {0, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec}; /* already passed */
    const char *json = "{\"tables\":[]}";
    CHECK_EQ_INT(parse_lim(&f, json, strlen(json), &lim, NULL),
                 META_ERR_TIMEOUT);
    CHECK_CONTAINS(f.error, "the call's time limit ran out");
    lim.deadline_ns += 3600ull * 1000000000ull;
    CHECK_EQ_INT(parse_lim(&f, json, strlen(json), &lim, NULL), 0);
    fixture_free(&f);
}

TEST(test_subcontent_filename_cap) {
    char *json = malloc(META_FILENAME_MAX + 64);
    REQUIRE(json);
    int n = snprintf(json, 32, "{\"filename\":\"");
    memset(json + n, 'a', META_FILENAME_MAX + 1);
    strcpy(json + n + META_FILENAME_MAX + 1, "\"}");
    meta_subcontent_t d;
    char *err = NULL;
    CHECK_EQ_INT(meta_parse_subcontent("/subcontent/metadata_0.json", (const uint8_t *)json, strlen(json), NULL, &d, &err),
                 META_ERR_INVALID);
    CHECK_CONTAINS(err, "'filename' is 4097 bytes, more than the limit of 4096");
    free(err);
    err = NULL;
    strcpy(json + n + META_FILENAME_MAX, "\"}");
    CHECK_EQ_INT(meta_parse_subcontent("/subcontent/metadata_0.json", (const uint8_t *)json, strlen(json), NULL, &d, &err), 0);
    free(d.filename);
    free(json);
}

int main(void) {
    RUN(test_type_names);
    RUN(test_all_types_parsed);
    RUN(test_null_values);
    RUN(test_strings_with_nul_and_unicode);
    RUN(test_int64_limits);
    RUN(test_non_finite_tokens_rejected);
    RUN(test_invalid_json);
    RUN(test_empty_object_and_unknown_keys);
    RUN(test_wrong_top_level_types);
    RUN(test_missing_keys);
    RUN(test_wrong_member_types);
    RUN(test_name_rules);
    RUN(test_table_rules);
    RUN(test_redefinition_in_later_file);
    RUN(test_redefinition_in_same_file);
    RUN(test_redefinition_message_is_bounded);
    RUN(test_rows_before_tables_in_file);
    RUN(test_schema_persists_across_files);
    RUN(test_row_rules);
    RUN(test_value_rules);
    RUN(test_float_values);
    RUN(test_rejected_file_is_atomic);
    RUN(test_many_tables_and_rows);
    RUN(test_error_pointer_optional_and_binary_input);
    RUN(test_subcontent_valid);
    RUN(test_subcontent_invalid);
    RUN(test_definition_caps);
    RUN(test_memory_limit_counts_the_parse_tree);
    RUN(test_usage_and_limit_of_rows);
    RUN(test_deadline);
    RUN(test_subcontent_filename_cap);
    return test_summary("metadata");
}
