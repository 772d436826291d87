/* sqlite-parser — if the content is an SQLite database, records the row
 * count of every user table in db_table_stats(table_name String,
 * row_count Int64), one row per table in name order.
 *
 * The content is recognised by its 16-byte header "SQLite format 3\0";
 * anything else returns 0 with no rows. The database is opened read-only
 * and immutable ("file:/data.bin?mode=ro&immutable=1"), in defensive mode
 * with untrusted schema. A corrupt database (any SQLite error) prints the
 * error on stderr and returns 1, with no rows. A virtual table whose module
 * is not compiled in gets a null row_count and a stderr line.
 *
 * libsqlite3.a is built with -DSQLITE_OS_OTHER=1 (see
 * scripts/build-guest-libs.sh), so this file also provides the VFS: a
 * minimal read-only one over wasi-libc (open/pread/fstat), no locking
 * (nothing else can write the content), no temporary files (temp store is
 * memory). It is self-contained and can be copied into other modules. */
#define WADUP_IMPLEMENTATION
#include "wadup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* ====================================================================
 * Read-only WASI VFS ("wasi-ro")
 * ==================================================================== */

typedef struct {
    sqlite3_file base;
    int fd;
} ro_file;

static int ro_close(sqlite3_file *f) {
    ro_file *p = (ro_file *)f;
    if (p->fd >= 0) close(p->fd);
    p->fd = -1;
    return SQLITE_OK;
}

/* ro_read: amt bytes at off; a short read zero-fills the rest, as SQLite
 * requires. */
static int ro_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off) {
    ro_file *p = (ro_file *)f;
    unsigned char *out = buf;
    size_t want = amt > 0 ? (size_t)amt : 0, got = 0;
    if (off < 0) return SQLITE_IOERR_READ;
    while (got < want) {
        ssize_t n = pread(p->fd, out + got, want - got, (off_t)(off + (sqlite3_int64)got));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return SQLITE_IOERR_READ;
        if (n == 0) break;
        got += (size_t)n;
    }
    if (got == want) return SQLITE_OK;
    memset(out + got, 0, want - got);
    return SQLITE_IOERR_SHORT_READ;
}

static int ro_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off) {
    (void)f, (void)buf, (void)amt, (void)off;
    return SQLITE_READONLY;
}

static int ro_truncate(sqlite3_file *f, sqlite3_int64 size) {
    (void)f, (void)size;
    return SQLITE_READONLY;
}

static int ro_sync(sqlite3_file *f, int flags) {
    (void)f, (void)flags;
    return SQLITE_OK;
}

static int ro_file_size(sqlite3_file *f, sqlite3_int64 *size) {
    struct stat st;
    if (fstat(((ro_file *)f)->fd, &st) != 0) return SQLITE_IOERR_FSTAT;
    *size = (sqlite3_int64)st.st_size;
    return SQLITE_OK;
}

/* Locks: the content cannot change while it is read. */
static int ro_lock(sqlite3_file *f, int level) {
    (void)f, (void)level;
    return SQLITE_OK;
}

static int ro_check_reserved(sqlite3_file *f, int *out) {
    (void)f;
    *out = 0;
    return SQLITE_OK;
}

static int ro_file_control(sqlite3_file *f, int op, void *arg) {
    (void)f, (void)op, (void)arg;
    return SQLITE_NOTFOUND;
}

static int ro_sector_size(sqlite3_file *f) {
    (void)f;
    return 4096;
}

static int ro_device_characteristics(sqlite3_file *f) {
    (void)f;
    return SQLITE_IOCAP_IMMUTABLE;
}

static const sqlite3_io_methods ro_io_methods = {
    1, ro_close, ro_read, ro_write, ro_truncate, ro_sync, ro_file_size, ro_lock, ro_lock,
    ro_check_reserved, ro_file_control, ro_sector_size, ro_device_characteristics,
    NULL, NULL, NULL, NULL, NULL, NULL,
};

/* ro_open: existing files only, read-only; no temporary files. */
static int ro_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags) {
    ro_file *p = (ro_file *)f;
    (void)vfs;
    p->base.pMethods = NULL; /* SQLite must not call xClose after a failed open */
    p->fd = -1;
    if (!name || (flags & (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_DELETEONCLOSE))) {
        return SQLITE_CANTOPEN;
    }
    p->fd = open(name, O_RDONLY);
    if (p->fd < 0) return SQLITE_CANTOPEN;
    p->base.pMethods = &ro_io_methods;
    if (out_flags) *out_flags = SQLITE_OPEN_READONLY;
    return SQLITE_OK;
}

static int ro_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    (void)vfs, (void)name, (void)sync_dir;
    return SQLITE_IOERR_DELETE;
}

static int ro_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    struct stat st;
    (void)vfs;
    *out = flags == SQLITE_ACCESS_READWRITE ? 0 : stat(name, &st) == 0;
    return SQLITE_OK;
}

/* ro_full_pathname: names are used as given (they are absolute here). */
static int ro_full_pathname(sqlite3_vfs *vfs, const char *name, int n_out, char *out) {
    (void)vfs;
    size_t len = strlen(name);
    if (n_out <= 0 || len >= (size_t)n_out) return SQLITE_CANTOPEN;
    memcpy(out, name, len + 1);
    return SQLITE_OK;
}

/* ro_randomness: from WASI random_get (getentropy takes at most 256 bytes). */
static int ro_randomness(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    int done = 0;
    while (done < n) {
        int chunk = n - done < 256 ? n - done : 256;
        if (getentropy(out + done, (size_t)chunk) != 0) {
            memset(out + done, 0, (size_t)(n - done));
            break;
        }
        done += chunk;
    }
    return n;
}

static int ro_sleep(sqlite3_vfs *vfs, int microseconds) {
    (void)vfs;
    return microseconds; /* never needed: there is no lock contention */
}

/* ro_current_time_int64: milliseconds since the Julian epoch. */
static int ro_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    static const sqlite3_int64 unix_epoch_ms = (sqlite3_int64)24405875 * 8640000;
    struct timespec ts;
    (void)vfs;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return SQLITE_ERROR;
    *out = unix_epoch_ms + (sqlite3_int64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return SQLITE_OK;
}

static int ro_current_time(sqlite3_vfs *vfs, double *out) {
    sqlite3_int64 ms = 0;
    int rc = ro_current_time_int64(vfs, &ms);
    *out = (double)ms / 86400000.0;
    return rc;
}

static int ro_get_last_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs, (void)n, (void)out;
    return 0;
}

static sqlite3_vfs ro_vfs = {
    2, (int)sizeof(ro_file), 512, NULL, "wasi-ro", NULL,
    ro_open, ro_delete, ro_access, ro_full_pathname,
    NULL, NULL, NULL, NULL, /* no loadable extensions */
    ro_randomness, ro_sleep, ro_current_time, ro_get_last_error, ro_current_time_int64,
    NULL, NULL, NULL,
};

/* Called by sqlite3_initialize() when built with SQLITE_OS_OTHER. */
int sqlite3_os_init(void) { return sqlite3_vfs_register(&ro_vfs, 1); }
int sqlite3_os_end(void) { return SQLITE_OK; }

/* ====================================================================
 * The module
 * ==================================================================== */

#define DB_URI "file:/data.bin?mode=ro&immutable=1"
static const char SQLITE_MAGIC[16] = "SQLite format 3";

static const wadup_column stats_columns[] = {{"table_name", WADUP_STRING}, {"row_count", WADUP_INT64}};

/* One user table and its row count. */
typedef struct {
    char *name;
    size_t name_len;
    int is_virtual;
    int has_count;
    sqlite3_int64 count;
} table_stat;

typedef struct {
    table_stat *items;
    size_t len, cap;
} table_list;

static void list_free(table_list *l) {
    for (size_t i = 0; i < l->len; i++) free(l->items[i].name);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* list_add: append a copy of name. 0 or -1. */
static int list_add(table_list *l, const unsigned char *name, size_t len, int is_virtual) {
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *l->items) return -1;
        table_stat *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown) return -1;
        l->items = grown;
        l->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy) return -1;
    if (len) memcpy(copy, name, len);
    copy[len] = 0;
    l->items[l->len++] = (table_stat){copy, len, is_virtual, 0, 0};
    return 0;
}

/* is_sqlite: 1 if /data.bin starts with the SQLite header. */
static int is_sqlite(void) {
    char head[16];
    int fd = open("/data.bin", O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = pread(fd, head, sizeof head, 0);
    close(fd);
    return n == (ssize_t)sizeof head && memcmp(head, SQLITE_MAGIC, sizeof head) == 0;
}

static int db_error(sqlite3 *db, const char *what) {
    fprintf(stderr, "sqlite-parser: %s: %s\n", what, db ? sqlite3_errmsg(db) : "out of memory");
    return 1;
}

/* open_db: the content, read-only and immutable, hardened. 0 or 1. */
static int open_db(sqlite3 **db) {
    int rc = sqlite3_open_v2(DB_URI, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) return db_error(*db, "open");
    sqlite3_db_config(*db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    return 0;
}

/* list_tables: user tables (not sqlite_*), by name. 0 or 1. */
static int list_tables(sqlite3 *db, table_list *out) {
    static const char sql[] =
        "SELECT name, sql LIKE 'CREATE VIRTUAL TABLE%' FROM sqlite_master "
        "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return db_error(db, "reading the schema");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        if (!name) continue; /* a NULL name cannot be queried */
        if (list_add(out, name, len, sqlite3_column_int(st, 1)) != 0) {
            sqlite3_finalize(st);
            fprintf(stderr, "sqlite-parser: out of memory\n");
            return 1;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_error(db, "reading the schema");
}

/* count_rows: SELECT COUNT(*) on one table. 0 or 1 (an unusable virtual
 * table is reported and left without a count). */
static int count_rows(sqlite3 *db, table_stat *t) {
    char *sql = sqlite3_mprintf("SELECT COUNT(*) FROM main.\"%w\"", t->name);
    sqlite3_stmt *st = NULL;
    if (!sql) return db_error(NULL, "counting rows");
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    sqlite3_free(sql);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        t->count = sqlite3_column_int64(st, 0);
        t->has_count = 1;
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK && t->is_virtual) {
        fprintf(stderr, "sqlite-parser: virtual table \"%s\" not counted: %s\n", t->name, sqlite3_errmsg(db));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : db_error(db, "counting rows");
}

/* emit_stats: one db_table_stats row per table, then flush. 0 or 1. */
static int emit_stats(const table_list *l) {
    int rc = wadup_define_table("db_table_stats", stats_columns, 2);
    for (size_t i = 0; rc == 0 && i < l->len; i++) {
        const table_stat *t = &l->items[i];
        wadup_value count = t->has_count ? wadup_int64(t->count) : wadup_null();
        rc = WADUP_ROW("db_table_stats", wadup_string_n(t->name, t->name_len), count);
    }
    if (rc == 0) rc = wadup_flush();
    if (rc != 0) fprintf(stderr, "sqlite-parser: cannot write the metadata\n");
    return rc != 0 ? 1 : 0;
}

WADUP_EXPORT("process")
int process(void) {
    if (!is_sqlite()) return 0;
    sqlite3 *db = NULL;
    table_list tables = {NULL, 0, 0};
    int rc = open_db(&db);
    if (rc == 0) rc = list_tables(db, &tables);
    for (size_t i = 0; rc == 0 && i < tables.len; i++) rc = count_rows(db, &tables.items[i]);
    if (rc == 0) rc = emit_stats(&tables);
    list_free(&tables);
    sqlite3_close_v2(db);
    return rc;
}
