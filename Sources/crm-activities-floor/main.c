/*
 * crm-activities-floor: the floor for the schedule-activity benchmark. What SQLite alone, from C
 * with prepared statements and nothing else, takes to store new activities in crm-activities'
 * own schema: per activity the row (with every index of the table) and its creation event,
 * WAL with synchronous=FULL.
 *
 *   crm-activities-floor DATABASE ACTIVITIES ACTIVITIES_PER_TRANSACTION
 *
 * DATABASE must already hold the schema (the benchmark migrates it with the service's code).
 * Output: one line "rate=..." (activities per second) for the caller to parse.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "crm-activities-floor: %s: %s\n", what, sqlite3_errmsg(db));
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
    check(db, sqlite3_step(s), what);
    sqlite3_reset(s);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: crm-activities-floor DATABASE ACTIVITIES ACTIVITIES_PER_TRANSACTION\n");
        return 2;
    }
    long count = atol(argv[2]), per_transaction = atol(argv[3]);
    if (count <= 0 || per_transaction <= 0) {
        fprintf(stderr, "crm-activities-floor: ACTIVITIES and ACTIVITIES_PER_TRANSACTION must be positive\n");
        return 2;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "crm-activities-floor: cannot open %s\n", argv[1]);
        return 1;
    }
    run(db, "PRAGMA journal_mode = WAL");
    run(db, "PRAGMA synchronous = FULL");
    run(db, "PRAGMA foreign_keys = ON");
    sqlite3_stmt *insert = prepare(db,
        "INSERT INTO activity (lead_id, type_id, kind, subject, description, start_at, end_at, location, assignee_id, "
        "assignee_unit_id, status, outcome, closed_at, version, created_by, created_at, updated_at, "
        "lead_full_name, lead_company, lead_email, lead_phone) "
        "VALUES (?, 1, 'appointment', ?, '', ?, ?, 'Madrid office', 1, 0, 'open', '', 0, 1, 1, ?, ?, ?, 'Acme', ?, '+34600111222')");
    sqlite3_stmt *event = prepare(db, "INSERT INTO event (type, entity_id, at, actor_id, payload) VALUES (1, ?, ?, 1, ?)");
    /* About the size of a scheduled activity's event: the activity as the wire encodes it. */
    unsigned char payload[190];
    for (size_t b = 0; b < sizeof payload; b++) payload[b] = (unsigned char)(b * 31 + 7);
    long long now = 1767225600000LL;
    double start = now_s();
    for (long done = 0; done < count;) {
        run(db, "BEGIN IMMEDIATE");
        for (long k = 0; k < per_transaction && done < count; k++, done++) {
            char subject[64], name[64], email[64];
            snprintf(subject, sizeof subject, "Demo %ld", done);
            snprintf(name, sizeof name, "Bench Lead %ld", done % 100);
            snprintf(email, sizeof email, "lead%ld@bench.example", done % 100);
            long long at = now + (done % 1000) * 3600000LL;
            sqlite3_bind_int64(insert, 1, 1 + done % 100);
            sqlite3_bind_text(insert, 2, subject, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(insert, 3, at);
            sqlite3_bind_int64(insert, 4, at + 1800000LL);
            sqlite3_bind_int64(insert, 5, now);
            sqlite3_bind_int64(insert, 6, now);
            sqlite3_bind_text(insert, 7, name, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(insert, 8, email, -1, SQLITE_TRANSIENT);
            step(db, insert, "insert activity");
            sqlite3_bind_int64(event, 1, sqlite3_last_insert_rowid(db));
            sqlite3_bind_int64(event, 2, now);
            sqlite3_bind_blob(event, 3, payload, sizeof payload, SQLITE_STATIC);
            step(db, event, "insert event");
        }
        run(db, "COMMIT");
    }
    printf("rate=%.1f\n", count / (now_s() - start));
    sqlite3_finalize(insert);
    sqlite3_finalize(event);
    sqlite3_close(db);
    return 0;
}
