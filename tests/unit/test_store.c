/* test_store.c — unit tests of the results store (src/store) and the
 * run-wide table registry (src/run/tables.c), driving store_open /
 * store_submit_* / store_close directly with hand-built results (so tables
 * may be wider than the metadata parser allows) and reading the database
 * back with SQLite. Covers: containment of module-caused SQL errors, names
 * colliding with internal ones, per-module tables and the shared views,
 * resume, the registry's conflicts and caps. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/tables.h"
#include "store/store.h"
#include "test.h"

static char test_dir[] = "/tmp/wadup-test-store-XXXXXX";
static int db_counter;

/* ---- building results ---- */

/* new_table: a definition name(cols...) whose columns are `prefix`0..n-1
 * (just `prefix` when n is 1) of type ty (freed with free_table). */
static meta_table_t *new_table(const char *name, size_t n, const char *prefix, meta_type_t ty) {
    meta_table_t *t = calloc(1, sizeof *t);
    t->name = strdup(name);
    t->columns = calloc(n ? n : 1, sizeof *t->columns);
    t->ncolumns = n;
    for (size_t i = 0; i < n; i++) {
        char col[80];
        if (n == 1) snprintf(col, sizeof col, "%s", prefix);
        else snprintf(col, sizeof col, "%s%zu", prefix, i);
        t->columns[i].name = strdup(col);
        t->columns[i].type = ty;
    }
    return t;
}

/* new_table_cols: a definition with the given column names and types. */
static meta_table_t *new_table_cols(const char *name, size_t n, const char *const *names, const meta_type_t *types) {
    meta_table_t *t = new_table(name, n, "c", META_INT64);
    for (size_t i = 0; i < n; i++) {
        free(t->columns[i].name);
        t->columns[i].name = strdup(names[i]);
        t->columns[i].type = types[i];
    }
    return t;
}

static void free_table(meta_table_t *t) {
    for (size_t i = 0; i < t->ncolumns; i++) free(t->columns[i].name);
    free(t->columns);
    free(t->name);
    free(t);
}

/* add_row: a row of t to r: integer columns get `v`, strings "s<v>",
 * floats v + 0.5, booleans v & 1. */
static void add_row(eng_result_t *r, const meta_table_t *t, int64_t v) {
    meta_batch_t *b = &r->metadata;
    b->rows = realloc(b->rows, (b->nrows + 1) * sizeof *b->rows);
    meta_row_t *row = &b->rows[b->nrows++];
    row->table = t;
    row->values = calloc(t->ncolumns, sizeof *row->values);
    for (size_t i = 0; i < t->ncolumns; i++) {
        meta_value_t *x = &row->values[i];
        x->type = t->columns[i].type;
        switch (x->type) {
        case META_INT64: x->u.i = v; break;
        case META_FLOAT64: x->u.f = (double)v + 0.5; break;
        case META_BOOLEAN: x->u.b = v & 1; break;
        case META_STRING: {
            char text[32];
            snprintf(text, sizeof text, "s%lld", (long long)v);
            x->u.s.ptr = strdup(text);
            x->u.s.len = strlen(text);
            break;
        }
        }
    }
}

/* new_content: a successful root content `id` with nruns empty runs. */
static store_content_t new_content(int64_t id, int64_t root, size_t nruns) {
    store_content_t c;
    memset(&c, 0, sizeof c);
    c.id = id;
    c.root_id = root;
    c.parent_id = id == root ? 0 : root;
    snprintf(c.uuid, sizeof c.uuid, "00000000-0000-4000-8000-%012lld", (long long)id);
    c.filename = strdup("f.bin");
    if (id == root) {
        char path[64];
        snprintf(path, sizeof path, "/input/%lld", (long long)id);
        c.source_path = strdup(path);
    }
    c.status = "success";
    c.runs = calloc(nruns, sizeof *c.runs);
    c.nruns = nruns;
    for (size_t i = 0; i < nruns; i++) {
        eng_result_init(&c.runs[i].result);
        c.runs[i].result.success = true;
    }
    return c;
}

/* ---- the database ---- */

/* new_db_path: a fresh database path in the test directory. */
static char *new_db_path(void) {
    char *p = malloc(strlen(test_dir) + 32);
    sprintf(p, "%s/r%d.db", test_dir, ++db_counter);
    return p;
}

static store_t *open_store(const char *path, bool resume) {
    store_options_t o = {path, resume, !resume, 0};
    store_t *s = NULL;
    char *err = NULL;
    if (store_open(&o, &s, &err) != 0) {
        fprintf(stderr, "store_open: %s\n", err);
        free(err);
        return NULL;
    }
    return s;
}

/* close_store: store_close, which must succeed. */
static int close_store(store_t *s) {
    char *err = NULL;
    int rc = store_close(s, &err);
    if (rc != 0) fprintf(stderr, "store_close: %s\n", err);
    free(err);
    return rc;
}

static sqlite3 *open_db(const char *path) {
    sqlite3 *db = NULL;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    return db;
}

/* q_int: the first column of the first row of sql (-1 on error, -2 if no row). */
static long long q_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "q_int: %s: %s\n", sql, sqlite3_errmsg(db));
        return -1;
    }
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -2;
    sqlite3_finalize(st);
    return v;
}

/* q_text: the first column of the first row of sql, as text (static buffer;
 * "(null)" for NULL, "(error)" on error). */
static const char *q_text(sqlite3 *db, const char *sql) {
    static char out[8192];
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "q_text: %s: %s\n", sql, sqlite3_errmsg(db));
        return "(error)";
    }
    snprintf(out, sizeof out, "(no row)");
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, sizeof out, "%s", t ? (const char *)t : "(null)");
    }
    sqlite3_finalize(st);
    return out;
}

/* q_rows: every row of sql, columns joined by '|', rows by ';' (static). */
static const char *q_rows(sqlite3 *db, const char *sql) {
    static char out[8192];
    sqlite3_stmt *st;
    out[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "q_rows: %s: %s\n", sql, sqlite3_errmsg(db));
        return "(error)";
    }
    size_t len = 0;
    for (int r = 0; sqlite3_step(st) == SQLITE_ROW; r++)
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const unsigned char *t = sqlite3_column_text(st, i);
            len += (size_t)snprintf(out + len, sizeof out - len > len ? sizeof out - len : 0, "%s%s",
                                    i ? "|" : r ? ";" : "", t ? (const char *)t : "NULL");
            if (len >= sizeof out) len = sizeof out - 1;
        }
    sqlite3_finalize(st);
    return out;
}

/* ---- containment ---- */

TEST(test_too_wide_table_is_that_modules_metadata_error) {
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *wide = new_table("wide", 2100, "c", META_INT64);
    meta_table_t *ok_a = new_table("ok_a", 1, "n", META_INT64);
    meta_table_t *sizes = new_table("file_sizes", 1, "size_bytes", META_INT64);
    for (int64_t id = 1; id <= 3; id++) {
        store_content_t c = new_content(id, id, 2);
        c.runs[0].module = "a";
        add_row(&c.runs[0].result, ok_a, 100 + id);
        add_row(&c.runs[0].result, wide, id);
        add_row(&c.runs[0].result, wide, id + 1);
        c.runs[1].module = "b";
        add_row(&c.runs[1].result, sizes, 10 * id);
        store_submit_content(s, &c);
        store_submit_root_done(s, id);
    }
    store_submit_module(s, "a", "/m/a.wasm", "reactor", "k", "loaded", NULL);
    CHECK(!store_failed(s));
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM contents WHERE subtree_complete = 1"), 3);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM module_runs"), 6);
    CHECK_STR(q_rows(db, "SELECT _module, size_bytes FROM file_sizes ORDER BY _content"),
              "b|10;b|20;b|30");
    CHECK_STR(q_rows(db, "SELECT n FROM ok_a ORDER BY _content"), "101;102;103"); /* its other table is kept */
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM metadata_tables WHERE name = 'wide'"), 0);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'wide%'"), 0);
    CHECK_STR(q_rows(db, "SELECT status, error_kind FROM module_runs WHERE module = 'b' GROUP BY 1, 2"), "success|NULL");
    CHECK_STR(q_rows(db, "SELECT status, error_kind, count(*) FROM module_runs WHERE module = 'a' GROUP BY 1, 2"),
              "failed|metadata_error|3");
    const char *err = q_text(db, "SELECT error FROM module_runs WHERE module = 'a' AND content_id = 2");
    CHECK_CONTAINS(err, "table 'wide' of module 'a' was not stored: too many columns on wide@a (2 rows dropped)");
    CHECK_STR(q_rows(db, "SELECT DISTINCT status FROM contents"), "failed");
    CHECK_CONTAINS(q_text(db, "SELECT error FROM contents WHERE id = 3"), "a: metadata_error: table 'wide' of module 'a'");
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM modules"), 1);
    sqlite3_close(db);
    free_table(wide);
    free_table(ok_a);
    free_table(sizes);
    free(path);
}

TEST(test_a_failed_run_keeps_its_error_and_gets_the_refusal_appended) {
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *wide = new_table("wide", 2001, "c", META_STRING);
    store_content_t c = new_content(1, 1, 1);
    c.runs[0].module = "a";
    c.runs[0].result.success = false;
    c.runs[0].result.error_kind = "timeout";
    c.runs[0].result.error = strdup("timeout: still running after 1 s");
    c.status = "failed";
    c.error = strdup("a: timeout: still running after 1 s");
    add_row(&c.runs[0].result, wide, 1);
    store_submit_content(s, &c);
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_STR(q_text(db, "SELECT error_kind FROM module_runs"), "timeout");
    CHECK_CONTAINS(q_text(db, "SELECT error FROM module_runs"), "timeout: still running after 1 s; also: table 'wide'");
    CHECK_CONTAINS(q_text(db, "SELECT error FROM contents"), "a: timeout: still running after 1 s; a: metadata_error:");
    sqlite3_close(db);
    free_table(wide);
    free(path);
}

/* A table created in a savepoint that is then rolled back (its view
 * cannot be made: a table of another program holds the name) is
 * forgotten: later tables and the indexes at the end still work. */
TEST(test_refusal_after_create_is_undone) {
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_EQ_INT(sqlite3_exec(db, "CREATE TABLE squat (x); INSERT INTO squat VALUES (1)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = open_store(path, true);
    REQUIRE(s);
    meta_table_t *squat = new_table("squat", 1, "x", META_INT64);
    meta_table_t *fine = new_table("fine", 1, "x", META_INT64);
    for (int64_t id = 1; id <= 2; id++) {
        store_content_t c = new_content(id, id, 1);
        c.runs[0].module = "m";
        add_row(&c.runs[0].result, squat, id);
        add_row(&c.runs[0].result, fine, id);
        store_submit_content(s, &c);
    }
    CHECK_EQ_INT(close_store(s), 0);
    db = open_db(path);
    CHECK_STR(q_rows(db, "SELECT x FROM fine ORDER BY _content"), "1;2");
    CHECK_STR(q_rows(db, "SELECT x FROM squat"), "1");
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'squat@m'"), 0);
    CHECK_CONTAINS(q_text(db, "SELECT error FROM module_runs WHERE content_id = 2"),
                   "table 'squat' of module 'm' was not stored: use DROP TABLE to delete table squat");
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'wadup_content:%'"), 1);
    sqlite3_close(db);
    free_table(squat);
    free_table(fine);
    free(path);
}

/* Only the first refusals of a run are described; the rest are counted. */
TEST(test_many_refusals_are_summarised) {
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *t[12];
    store_content_t c = new_content(1, 1, 1);
    c.runs[0].module = "m";
    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof name, "wadup_%02d", i);
        t[i] = new_table(name, 1, "n", META_INT64);
        add_row(&c.runs[0].result, t[i], i);
    }
    store_submit_content(s, &c);
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    const char *err = q_text(db, "SELECT error FROM module_runs");
    CHECK_CONTAINS(err, "table 'wadup_07' of module 'm' was not stored: its name is reserved by wadup's database (1 row "
                        "dropped); and 4 more tables of module 'm' were not stored (their rows were dropped)");
    CHECK(!strstr(err, "wadup_08"));
    sqlite3_close(db);
    for (int i = 0; i < 12; i++) free_table(t[i]);
    free(path);
}

/* ---- names ---- */

TEST(test_tables_named_like_internal_objects) {
    static const char *const names[] = {"file_sizes__content", "t__content", "contents_uuid", "contents_parent",
                                        "redo", "t", "file_sizes"};
    static const char *const refused[] = {"wadup_redo", "sqlite_x", "contents", "Bad-Name", "METADATA_TABLES"};
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *t[7], *r[5];
    for (int i = 0; i < 7; i++) t[i] = new_table(names[i], 1, "n", META_INT64);
    for (int i = 0; i < 5; i++) r[i] = new_table(refused[i], 1, "n", META_INT64);
    for (int64_t id = 1; id <= 2; id++) {
        store_content_t c = new_content(id, id, 2);
        c.runs[0].module = "squatter";
        for (int i = 0; i < 7; i++) add_row(&c.runs[0].result, t[i], id * 10 + i);
        for (int i = 0; i < 5; i++) add_row(&c.runs[0].result, r[i], id);
        c.runs[1].module = "t";
        add_row(&c.runs[1].result, t[5], id);
        store_submit_content(s, &c);
        store_submit_root_done(s, id);
    }
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM contents"), 2);
    for (int i = 0; i < 7; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT group_concat(n) FROM (SELECT n FROM \"%s\" WHERE _module = 'squatter' ORDER BY _content)",
                 names[i]);
        char want[32];
        snprintf(want, sizeof want, "%d,%d", 10 + i, 20 + i);
        CHECK_STR(q_text(db, sql), want);
    }
    CHECK_STR(q_rows(db, "SELECT _module, n FROM t ORDER BY _module, n"), "squatter|15;squatter|25;t|1;t|2");
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM metadata_tables"), 8);
    /* one internal index per physical table, plus the three on contents */
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'wadup_content:%'"), 8);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'wadup_contents_%'"), 3);
    const char *err = q_text(db, "SELECT error FROM module_runs WHERE module = 'squatter' AND content_id = 1");
    CHECK_CONTAINS(err, "table 'wadup_redo' of module 'squatter' was not stored: its name is reserved by wadup's database");
    CHECK_CONTAINS(err, "table 'Bad-Name' of module 'squatter' was not stored: its name is not an identifier");
    CHECK_CONTAINS(err, "table 'METADATA_TABLES' of module 'squatter' was not stored: its name is reserved");
    CHECK_STR(q_text(db, "SELECT status FROM module_runs WHERE module = 't' AND content_id = 2"), "success");
    sqlite3_close(db);
    for (int i = 0; i < 7; i++) free_table(t[i]);
    for (int i = 0; i < 5; i++) free_table(r[i]);
    free(path);
}

TEST(test_modules_differing_by_case_and_quotes) {
    static const char *const modules[] = {"A", "a", "we\"ird'mod", "a#2"};
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *t = new_table("t", 1, "v", META_STRING);
    store_content_t c = new_content(1, 1, 4);
    for (int i = 0; i < 4; i++) {
        c.runs[i].module = modules[i];
        add_row(&c.runs[i].result, t, i);
    }
    store_submit_content(s, &c);
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_STR(q_rows(db, "SELECT _module, v FROM t ORDER BY v"), "A|s0;a|s1;we\"ird'mod|s2;a#2|s3");
    CHECK_STR(q_rows(db, "SELECT module, sql_table FROM metadata_tables ORDER BY rowid"),
              "A|t@A;a|t@a#2;we\"ird'mod|t@we\"ird'mod;a#2|t@a#2#2");
    CHECK_STR(q_text(db, "SELECT DISTINCT status FROM module_runs"), "success");
    sqlite3_close(db);
    free_table(t);
    free(path);
}

/* ---- per-module tables and views ---- */

TEST(test_two_modules_define_the_same_name_differently) {
    static const char *const names[] = {"x", "SIZE_BYTES"};
    static const meta_type_t types[] = {META_STRING, META_FLOAT64};
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *bc = new_table("file_sizes", 1, "size_bytes", META_INT64);
    meta_table_t *sq = new_table_cols("File_Sizes", 2, names, types);
    meta_table_t *other = new_table("file_sizes", 1, "y", META_BOOLEAN);
    for (int64_t id = 1; id <= 2; id++) {
        store_content_t c = new_content(id, id, 3);
        c.runs[0].module = "byte-counter";
        add_row(&c.runs[0].result, bc, id);
        c.runs[1].module = "squatter";
        add_row(&c.runs[1].result, sq, id);
        c.runs[2].module = "other";
        if (id == 2) add_row(&c.runs[2].result, other, 3);
        store_submit_content(s, &c);
    }
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_STR(q_rows(db, "SELECT name FROM pragma_table_info('file_sizes')"), "_content;_module;size_bytes;x;y");
    CHECK_STR(q_rows(db, "SELECT _content, _module, size_bytes, x, y FROM file_sizes ORDER BY _module, _content"),
              "1|byte-counter|1|NULL|NULL;2|byte-counter|2|NULL|NULL;2|other|NULL|NULL|1;"
              "1|squatter|1.5|s1|NULL;2|squatter|2.5|s2|NULL");
    CHECK_STR(q_rows(db, "SELECT size_bytes FROM file_sizes WHERE _module = 'byte-counter' ORDER BY 1"), "1;2");
    CHECK_STR(q_rows(db, "SELECT name, module, sql_table, in_view FROM metadata_tables ORDER BY rowid"),
              "file_sizes|byte-counter|file_sizes@byte-counter|1;File_Sizes|squatter|File_Sizes@squatter|1;"
              "file_sizes|other|file_sizes@other|1");
    CHECK_STR(q_text(db, "SELECT columns FROM metadata_tables WHERE module = 'squatter'"),
              "[{\"name\":\"x\",\"data_type\":\"String\"},{\"name\":\"SIZE_BYTES\",\"data_type\":\"Float64\"}]");
    CHECK_STR(q_rows(db, "SELECT x, SIZE_BYTES FROM \"File_Sizes@squatter\" ORDER BY _content"), "s1|1.5;s2|2.5");
    CHECK_STR(q_text(db, "SELECT DISTINCT status FROM module_runs"), "success");
    sqlite3_close(db);
    free_table(bc);
    free_table(sq);
    free_table(other);
    free(path);
}

/* The same module sending a different definition of a name it already
 * stored (the registry normally refuses it first) is refused by the store. */
TEST(test_same_module_other_definition_is_refused) {
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *t1 = new_table("t", 1, "n", META_INT64), *t2 = new_table("T", 2, "n", META_INT64);
    for (int64_t id = 1; id <= 2; id++) {
        store_content_t c = new_content(id, id, 1);
        c.runs[0].module = "m";
        add_row(&c.runs[0].result, id == 1 ? t1 : t2, id);
        store_submit_content(s, &c);
    }
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_STR(q_rows(db, "SELECT _content, n FROM t"), "1|1");
    CHECK_CONTAINS(q_text(db, "SELECT error FROM module_runs WHERE content_id = 2"),
                   "table 'T' of module 'm' was not stored: it does not match the module's table 't' already stored");
    sqlite3_close(db);
    free_table(t1);
    free_table(t2);
    free(path);
}

TEST(test_view_limits_keep_the_rows_outside_the_view) {
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    enum { MEMBERS = 502 };
    static char names[MEMBERS][16];
    meta_table_t *t = new_table("shared", 2, "c", META_INT64);
    meta_table_t *w = new_table("widest", 1999, "c", META_INT64);
    store_content_t c = new_content(1, 1, MEMBERS + 1);
    for (int i = 0; i < MEMBERS; i++) {
        snprintf(names[i], sizeof names[i], "m%03d", i);
        c.runs[i].module = names[i];
        add_row(&c.runs[i].result, t, i);
    }
    c.runs[MEMBERS].module = "w";
    add_row(&c.runs[MEMBERS].result, w, 7);
    store_submit_content(s, &c);
    CHECK_EQ_INT(close_store(s), 0);
    sqlite3 *db = open_db(path);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM shared"), 500);
    CHECK_STR(q_rows(db, "SELECT module, in_view FROM metadata_tables WHERE in_view = 0 ORDER BY rowid"),
              "m500|0;m501|0;w|0");
    CHECK_EQ_INT(q_int(db, "SELECT c0 FROM \"shared@m501\""), 501);
    CHECK_EQ_INT(q_int(db, "SELECT c1998 FROM \"widest@w\""), 7);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'widest'"), 0);
    CHECK_STR(q_text(db, "SELECT DISTINCT status FROM module_runs"), "success");
    sqlite3_close(db);
    free_table(t);
    free_table(w);
    free(path);
}

/* ---- resume ---- */

typedef struct seen_tables {
    char text[4096];
} seen_tables_t;

static void collect_table(void *ctx, const char *module, const meta_table_t *t) {
    seen_tables_t *seen = ctx;
    size_t len = strlen(seen->text);
    snprintf(seen->text + len, sizeof seen->text - len, "%s%s:%s/%zu", len ? ";" : "", module, t->name, t->ncolumns);
}

TEST(test_resume_keeps_everything) {
    char *path = new_db_path();
    store_t *s = open_store(path, false);
    REQUIRE(s);
    meta_table_t *bc = new_table("file_sizes", 1, "size_bytes", META_INT64);
    meta_table_t *sq = new_table("file_sizes", 1, "x", META_STRING);
    meta_table_t *own = new_table("t__content", 1, "n", META_INT64);
    for (int64_t id = 1; id <= 2; id++) { /* root 1 completes, root 2 (with child 3) does not */
        store_content_t c = new_content(id, id, 2);
        c.runs[0].module = "0-squatter";
        add_row(&c.runs[0].result, sq, id);
        add_row(&c.runs[0].result, own, id);
        c.runs[1].module = "byte-counter";
        add_row(&c.runs[1].result, bc, id);
        store_submit_content(s, &c);
    }
    store_content_t child = new_content(3, 2, 1);
    child.runs[0].module = "byte-counter";
    add_row(&child.runs[0].result, bc, 3);
    store_submit_content(s, &child);
    store_submit_root_done(s, 1);
    CHECK_EQ_INT(close_store(s), 0);

    s = open_store(path, true);
    REQUIRE(s);
    CHECK(store_root_done(s, "/input/1"));
    CHECK(!store_root_done(s, "/input/2"));
    CHECK_EQ_INT(store_next_id(s), 2);
    seen_tables_t seen = {{0}};
    store_each_table(s, collect_table, &seen);
    CHECK_STR(seen.text, "0-squatter:file_sizes/1;0-squatter:t__content/1;byte-counter:file_sizes/1");
    meta_table_t *late = new_table("file_sizes", 1, "z", META_INT64);
    for (int64_t id = 2; id <= 3; id++) { /* root 2 redone, then a new module joins the view */
        store_content_t c = new_content(id, 2, 3);
        c.runs[0].module = "0-squatter";
        add_row(&c.runs[0].result, sq, 20 + id);
        c.runs[1].module = "byte-counter";
        add_row(&c.runs[1].result, bc, 20 + id);
        c.runs[2].module = "late";
        add_row(&c.runs[2].result, late, 20 + id);
        store_submit_content(s, &c);
    }
    store_submit_root_done(s, 2);
    CHECK_EQ_INT(close_store(s), 0);

    sqlite3 *db = open_db(path);
    CHECK_EQ_INT(q_int(db, "PRAGMA user_version"), 2);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM contents WHERE subtree_complete = 1"), 2);
    CHECK_STR(q_rows(db, "SELECT _content, size_bytes FROM file_sizes WHERE _module = 'byte-counter' ORDER BY 1"),
              "1|1;2|22;3|23");
    CHECK_STR(q_rows(db, "SELECT _content, x FROM file_sizes WHERE _module = '0-squatter' ORDER BY 1"),
              "1|s1;2|s22;3|s23");
    CHECK_STR(q_rows(db, "SELECT _content, z FROM file_sizes WHERE _module = 'late' ORDER BY 1"), "2|22;3|23");
    CHECK_STR(q_rows(db, "SELECT name FROM pragma_table_info('file_sizes')"), "_content;_module;x;size_bytes;z");
    CHECK_STR(q_rows(db, "SELECT _content, n FROM t__content ORDER BY 1"), "1|1");
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM module_runs"), 2 + 6);
    CHECK_STR(q_text(db, "SELECT DISTINCT status FROM module_runs"), "success");
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%redo%'"), 0);
    CHECK_EQ_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'wadup_content:%'"), 4);
    sqlite3_close(db);
    free_table(bc);
    free_table(sq);
    free_table(own);
    free_table(late);
    free(path);
}

TEST(test_resume_refuses_an_older_database) {
    char *path = new_db_path();
    sqlite3 *db = NULL;
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK_EQ_INT(sqlite3_exec(db, "CREATE TABLE metadata_tables (name TEXT PRIMARY KEY, module TEXT, columns TEXT);"
                                  "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store_options_t o = {path, true, false, 0};
    store_t *s = NULL;
    char *err = NULL;
    CHECK_EQ_INT(store_open(&o, &s, &err), -1);
    CHECK_CONTAINS(err, "written by an older wadup (results schema version 1, this wadup writes version 2): it cannot "
                        "be resumed");
    free(err);
    free(path);
}

/* ---- the run-wide registry ---- */

/* check: run_tables_check of a result defining tables[0..n) with one row
 * each; returns the error (malloc'd) or NULL, and the rows kept. */
static char *check(run_tables_t *reg, const char *module, meta_table_t *const *tables, size_t n, size_t *kept) {
    eng_result_t r;
    eng_result_init(&r);
    r.metadata.tables = calloc(n ? n : 1, sizeof *r.metadata.tables);
    for (size_t i = 0; i < n; i++) {
        r.metadata.tables[r.metadata.ntables++] = tables[i];
        add_row(&r, tables[i], (int64_t)i);
    }
    char *err = NULL;
    run_tables_check(reg, module, &r, &err);
    if (kept) *kept = r.metadata.nrows;
    eng_result_free(&r);
    return err;
}

TEST(test_registry_conflicts_only_within_a_module) {
    run_tables_t *reg = run_tables_new();
    REQUIRE(reg);
    meta_table_t *a = new_table("file_sizes", 1, "size_bytes", META_INT64);
    meta_table_t *b = new_table("file_sizes", 1, "x", META_STRING);
    meta_table_t *c = new_table("FILE_SIZES", 1, "size_bytes", META_INT64);
    size_t kept;
    char *err = check(reg, "byte-counter", &a, 1, &kept);
    CHECK(err == NULL);
    CHECK_EQ_INT(kept, 1);
    err = check(reg, "squatter", &b, 1, &kept); /* another module: its own table */
    CHECK(err == NULL);
    err = check(reg, "byte-counter", &a, 1, &kept); /* the same again (another content) */
    CHECK(err == NULL);
    err = check(reg, "byte-counter", &b, 1, &kept); /* another worker's different definition */
    CHECK_STR(err, "table file_sizes(x String) conflicts with file_sizes(size_bytes Int64) already defined by module "
                   "'byte-counter' (a module defines each table once per run): its rows were dropped");
    CHECK_EQ_INT(kept, 0);
    free(err);
    err = check(reg, "byte-counter", &c, 1, &kept); /* differs only by case: SQL cannot tell */
    CHECK_CONTAINS(err, "table FILE_SIZES(size_bytes Int64) conflicts with file_sizes(size_bytes Int64)");
    free(err);
    run_tables_free(reg);
    free_table(a);
    free_table(b);
    free_table(c);
}

TEST(test_registry_refuses_reserved_and_case_duplicate_names) {
    static const char *const cols[] = {"ab", "n", "AB"};
    static const meta_type_t types[] = {META_INT64, META_INT64, META_STRING};
    static const char *const res[] = {"_module"};
    run_tables_t *reg = run_tables_new();
    meta_table_t *t[4] = {new_table("Wadup_x", 1, "n", META_INT64), new_table("contents", 1, "n", META_INT64),
                          new_table_cols("cased", 3, cols, types), new_table_cols("sneaky", 1, res, types)};
    size_t kept;
    char *err = check(reg, "m", t, 4, &kept);
    CHECK_STR(err, "table 'Wadup_x': its name is reserved by wadup's database: its rows were dropped; "
                   "table 'contents': its name is reserved by wadup's database: its rows were dropped; "
                   "table 'cased' column 'AB': column names differ only by case, which SQL cannot tell apart: its "
                   "rows were dropped; table 'sneaky' column '_module': reserved column name: its rows were dropped");
    CHECK_EQ_INT(kept, 0);
    free(err);
    for (int i = 0; i < 4; i++) free_table(t[i]);
    run_tables_free(reg);
}

TEST(test_registry_caps_are_shared_equally) {
    run_tables_t *reg = run_tables_new();
    run_tables_set_modules(reg, 2);
    enum { WIDE = 110 };
    meta_table_t *wide[WIDE];
    for (int i = 0; i < WIDE; i++) {
        char name[32];
        snprintf(name, sizeof name, "w%03d", i);
        wide[i] = new_table(name, 1000, "c", META_INT64);
    }
    size_t kept;
    char *err = check(reg, "0-hog", wide, WIDE, &kept);
    CHECK_CONTAINS(err, "table 'w100' (1000 columns): refused: it would exceed the run-wide cap on metadata columns "
                        "(200000 columns of all tables per run, shared equally: 100000 per module with 2 modules; this "
                        "module has 100000): its rows were dropped; table 'w101' (1000 columns)");
    CHECK_CONTAINS(err, "table 'w107' (1000 columns)"); /* 8 described, 2 counted */
    CHECK(err && !strstr(err, "'w108'"));
    CHECK_CONTAINS(err, "; and 2 more tables refused (their rows were dropped)");
    CHECK_EQ_INT(kept, 100);
    free(err);
    meta_table_t *sizes = new_table("file_sizes", 1, "size_bytes", META_INT64);
    err = check(reg, "byte-counter", &sizes, 1, &kept); /* the other module's share is intact */
    CHECK(err == NULL);
    CHECK_EQ_INT(kept, 1);
    /* (module, table) pairs: 5000 per module with 2 modules */
    enum { MANY = 5001 };
    meta_table_t **many = calloc(MANY, sizeof *many);
    for (int i = 0; i < MANY; i++) {
        char name[32];
        snprintf(name, sizeof name, "t%04d", i);
        many[i] = new_table(name, 1, "c", META_INT64);
    }
    err = check(reg, "byte-counter", many, MANY, &kept);
    CHECK_STR(err, "table 't4999': refused: the run-wide cap on metadata tables is reached (10000 (module, table) "
                   "pairs per run, shared equally: 5000 per module with 2 modules; this module has 5000): its rows "
                   "were dropped; table 't5000': refused: the run-wide cap on metadata tables is reached (10000 "
                   "(module, table) pairs per run, shared equally: 5000 per module with 2 modules; this module has "
                   "5000): its rows were dropped");
    CHECK_EQ_INT(kept, 4999);
    free(err);
    /* a resumed run's tables count toward the shares */
    run_tables_t *again = run_tables_new();
    run_tables_set_modules(again, 2);
    for (int i = 0; i < 100; i++) run_tables_seed(again, "0-hog", wide[i]);
    err = check(again, "0-hog", &wide[100], 1, &kept);
    CHECK_CONTAINS(err, "this module has 100000");
    free(err);
    run_tables_free(again);
    for (int i = 0; i < MANY; i++) free_table(many[i]);
    free(many);
    for (int i = 0; i < WIDE; i++) free_table(wide[i]);
    free_table(sizes);
    run_tables_free(reg);
}

/* remove_dir: the test directory and its files. */
static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", test_dir);
}

int main(void) {
    if (!mkdtemp(test_dir)) { perror("mkdtemp"); return 1; }
    RUN(test_too_wide_table_is_that_modules_metadata_error);
    RUN(test_a_failed_run_keeps_its_error_and_gets_the_refusal_appended);
    RUN(test_refusal_after_create_is_undone);
    RUN(test_many_refusals_are_summarised);
    RUN(test_tables_named_like_internal_objects);
    RUN(test_modules_differing_by_case_and_quotes);
    RUN(test_two_modules_define_the_same_name_differently);
    RUN(test_same_module_other_definition_is_refused);
    RUN(test_view_limits_keep_the_rows_outside_the_view);
    RUN(test_resume_keeps_everything);
    RUN(test_resume_refuses_an_older_database);
    RUN(test_registry_conflicts_only_within_a_module);
    RUN(test_registry_refuses_reserved_and_case_duplicate_names);
    RUN(test_registry_caps_are_shared_equally);
    remove_dir();
    return test_summary("store");
}
