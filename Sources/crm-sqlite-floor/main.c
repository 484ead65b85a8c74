/*
 * crm-sqlite-floor: the floor for the leads benchmarks. What SQLite alone, driven from C with
 * prepared statements and nothing else, takes to store new leads in the leads service's own
 * schema on this machine: per lead the row (with every index of the table), one e-mail contact,
 * the duplicate lookup on it, the creation event and the history entry, as the service stores
 * them; WAL with synchronous=FULL and the service's page cache.
 *
 *   crm-sqlite-floor DATABASE LEADS LEADS_PER_TRANSACTION
 *
 * DATABASE must already hold the schema (the benchmark migrates it with the service's code).
 * Output: one line "rate=..." (leads per second) for the caller to parse.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "crm-sqlite-floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static void run(sqlite3 *db, const char *sql) { check(db, sqlite3_exec(db, sql, NULL, NULL, NULL), sql); }

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql) {
    sqlite3_stmt *s = NULL;
    check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL), sql);
    return s;
}

static void step(sqlite3 *db, sqlite3_stmt *s, const char *what) {
    int rc = sqlite3_step(s);
    check(db, rc, what);
    sqlite3_reset(s);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The lead table's columns but its id, as the database declares them. */
#define MAX_COLUMNS 128
static char names[MAX_COLUMNS][64];
static int is_text[MAX_COLUMNS];
static int columns;

static void read_columns(sqlite3 *db) {
    sqlite3_stmt *s = prepare(db, "SELECT name, type FROM pragma_table_info('lead') WHERE name <> 'id'");
    while (sqlite3_step(s) == SQLITE_ROW && columns < MAX_COLUMNS) {
        snprintf(names[columns], sizeof names[columns], "%s", (const char *)sqlite3_column_text(s, 0));
        is_text[columns] = strcmp((const char *)sqlite3_column_text(s, 1), "TEXT") == 0;
        columns++;
    }
    sqlite3_finalize(s);
    if (columns == 0) {
        fprintf(stderr, "crm-sqlite-floor: the database has no lead table\n");
        exit(1);
    }
}

/* Values like the benchmark's leads: a name, a company, an e-mail, a campaign, Spain. */
static void bind_lead(sqlite3_stmt *s, long i, long long now, const char *email) {
    char text[160];
    for (int c = 0; c < columns; c++) {
        const char *n = names[c];
        if (!is_text[c]) {
            long long v = 0;
            if (strcmp(n, "created_at") == 0 || strcmp(n, "updated_at") == 0) v = now;
            else if (strcmp(n, "owner_id") == 0 || strcmp(n, "created_by") == 0 || strcmp(n, "updated_by") == 0) v = 1;
            else if (strcmp(n, "expected_completion_at") == 0) v = now + 7 * 86400000LL;
            else if (strcmp(n, "version") == 0 || strcmp(n, "type_id") == 0 || strcmp(n, "status_id") == 0) v = 1;
            else if (strcmp(n, "priority") == 0 || strcmp(n, "importance") == 0) v = 5;
            sqlite3_bind_int64(s, c + 1, v);
            continue;
        }
        text[0] = 0;
        if (strcmp(n, "full_name") == 0) snprintf(text, sizeof text, "Floor Lead %ld", i);
        else if (strcmp(n, "company") == 0) snprintf(text, sizeof text, "Company %ld", i % 997);
        else if (strcmp(n, "country") == 0) snprintf(text, sizeof text, "ES");
        else if (strcmp(n, "campaign") == 0) snprintf(text, sizeof text, "Campaign %ld", i % 50);
        else if (strcmp(n, "state") == 0) snprintf(text, sizeof text, "PENDING");
        else if (strcmp(n, "emails") == 0) snprintf(text, sizeof text, "[\"%s\"]", email);
        else if (strcmp(n, "phones") == 0 || strcmp(n, "team_user_ids") == 0 || strcmp(n, "competitor_ids") == 0 ||
                 strcmp(n, "products") == 0) snprintf(text, sizeof text, "[]");
        else if (strcmp(n, "custom_fields") == 0) snprintf(text, sizeof text, "{}");
        else if (strcmp(n, "search_text") == 0) snprintf(text, sizeof text, "floor lead %ld company %ld %s", i, i % 997, email);
        sqlite3_bind_text(s, c + 1, text, -1, SQLITE_TRANSIENT);
    }
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: crm-sqlite-floor DATABASE LEADS LEADS_PER_TRANSACTION\n");
        return 2;
    }
    long leads = atol(argv[2]), per_transaction = atol(argv[3]);
    if (leads <= 0 || per_transaction <= 0) {
        fprintf(stderr, "crm-sqlite-floor: LEADS and LEADS_PER_TRANSACTION must be positive\n");
        return 2;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "crm-sqlite-floor: cannot open %s\n", argv[1]);
        return 1;
    }
    run(db, "PRAGMA journal_mode = WAL");
    run(db, "PRAGMA synchronous = FULL");
    run(db, "PRAGMA cache_size = -65536");
    run(db, "PRAGMA mmap_size = 1073741824");
    read_columns(db);

    char sql[8192] = "INSERT INTO lead (";
    for (int c = 0; c < columns; c++) {
        strcat(sql, names[c]);
        strcat(sql, c + 1 < columns ? ", " : ") VALUES (");
    }
    for (int c = 0; c < columns; c++) strcat(sql, c + 1 < columns ? "?, " : "?)");
    sqlite3_stmt *insert_lead = prepare(db, sql);
    sqlite3_stmt *duplicate = prepare(db, "SELECT lead_id FROM lead_contact WHERE kind = 'email' AND value = ? LIMIT 1");
    sqlite3_stmt *insert_contact = prepare(db, "INSERT INTO lead_contact (kind, value, lead_id) VALUES ('email', ?, ?)");
    sqlite3_stmt *insert_event = prepare(db, "INSERT INTO event (type, entity_id, at, actor_id, payload) VALUES (1, ?, ?, 1, ?)");
    sqlite3_stmt *insert_history = prepare(db,
        "INSERT INTO history (lead_id, action, actor_id, at, changes, version, reason, creation_event) VALUES (?, 'created', 1, ?, '', 1, '', ?)");

    /* About the size of a created lead's event: the lead as the wire encodes it. */
    unsigned char payload[260];
    for (size_t b = 0; b < sizeof payload; b++) payload[b] = (unsigned char)(b * 31 + 7);
    long long now = 1767225600000LL;
    /* Offset so that a second run on the same database makes new e-mails. */
    sqlite3_stmt *count = prepare(db, "SELECT COALESCE(MAX(id), 0) FROM lead");
    sqlite3_step(count);
    long first = (long)sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);

    double start = now_s();
    for (long done = 0; done < leads;) {
        run(db, "BEGIN IMMEDIATE");
        for (long k = 0; k < per_transaction && done < leads; k++, done++) {
            long i = first + done;
            char email[64];
            snprintf(email, sizeof email, "lead%ld@floor.example", i);
            sqlite3_bind_text(duplicate, 1, email, -1, SQLITE_STATIC);
            if (sqlite3_step(duplicate) == SQLITE_ROW) {
                fprintf(stderr, "crm-sqlite-floor: unexpected duplicate %s\n", email);
                return 1;
            }
            sqlite3_reset(duplicate);
            bind_lead(insert_lead, i, now, email);
            step(db, insert_lead, "insert lead");
            sqlite3_int64 id = sqlite3_last_insert_rowid(db);
            sqlite3_bind_text(insert_contact, 1, email, -1, SQLITE_STATIC);
            sqlite3_bind_int64(insert_contact, 2, id);
            step(db, insert_contact, "insert contact");
            sqlite3_bind_int64(insert_event, 1, id);
            sqlite3_bind_int64(insert_event, 2, now);
            sqlite3_bind_blob(insert_event, 3, payload, sizeof payload, SQLITE_STATIC);
            step(db, insert_event, "insert event");
            sqlite3_int64 event = sqlite3_last_insert_rowid(db);
            sqlite3_bind_int64(insert_history, 1, id);
            sqlite3_bind_int64(insert_history, 2, now);
            sqlite3_bind_int64(insert_history, 3, event);
            step(db, insert_history, "insert history");
        }
        run(db, "COMMIT");
    }
    double elapsed = now_s() - start;
    printf("rate=%.1f\n", leads / elapsed);
    sqlite3_finalize(insert_lead);
    sqlite3_finalize(duplicate);
    sqlite3_finalize(insert_contact);
    sqlite3_finalize(insert_event);
    sqlite3_finalize(insert_history);
    sqlite3_close(db);
    return 0;
}
