/*
 * crm-reports-floor: the floor for crm-reports' catch-up benchmark. What SQLite alone, driven
 * from C with prepared statements and nothing else, takes to write what the read model writes
 * for a new lead, in crm-reports' own schema on this machine: the lead row (with every index of
 * the table), its full-text entry, its contributions to the maintained aggregates (type and
 * status, pipeline, conversion by source, campaign and owner, open leads) and, per
 * transaction, the feed cursor; WAL with synchronous=FULL and the service's page cache.
 *
 *   crm-reports-floor DATABASE LEADS LEADS_PER_TRANSACTION
 *
 * DATABASE must already hold the schema (the benchmark migrates it with the service's code).
 * The leads are the benchmark's: the same names, companies, countries, campaigns, amounts and
 * states for the same i. Output: one line "rate=..." (leads per second) for the caller to parse.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void check(sqlite3 *db, int rc, const char *what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "crm-reports-floor: %s: %s\n", what, sqlite3_errmsg(db));
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

/* The benchmark's lead i (ReportsBench.lead in crm-bench): keep the two in step. */
static const char *countries[] = {"ES", "PT", "FR", "IT", "DE", "GB", "IE", "NL", "BE", "MX"};

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: crm-reports-floor DATABASE LEADS LEADS_PER_TRANSACTION\n");
        return 2;
    }
    long leads = atol(argv[2]), per_transaction = atol(argv[3]);
    if (leads <= 0 || per_transaction <= 0) {
        fprintf(stderr, "crm-reports-floor: LEADS and LEADS_PER_TRANSACTION must be positive\n");
        return 2;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open(argv[1], &db) != SQLITE_OK) {
        fprintf(stderr, "crm-reports-floor: cannot open %s\n", argv[1]);
        return 1;
    }
    run(db, "PRAGMA journal_mode = WAL");
    run(db, "PRAGMA synchronous = FULL");
    run(db, "PRAGMA cache_size = -65536");
    run(db, "PRAGMA mmap_size = 1073741824");

    sqlite3_stmt *row = prepare(db,
        "INSERT OR REPLACE INTO lead_row (id, full_name, company, email, phone, emails, phones, country, region, province, postal_code, locale, "
        "campaign, channel, source_type_id, source_type, type_id, type_name, category_id, status_id, status_name, state, is_open, priority, "
        "importance, probability, target_amount, currency, owner_id, owner_name, assigned_unit_id, assigned_unit_name, assigned_user_id, "
        "assigned_user_name, contact_on, expected_completion_at, completed_at, converted, imported, open_work, created_at, updated_at, custom_fields) "
        "VALUES (?1, ?2, ?3, ?4, '', ?4, '', ?5, '', '', ?6, '', ?7, '', ?8, 'Web form', 1, 'Standard', 0, ?9, ?10, ?11, ?12, 5, 4, ?13, ?14, "
        "'EUR', ?15, ?16, 0, '', ?17, ?18, 0, ?19, 0, 0, 0, 0, ?20, ?20, '{}')");
    sqlite3_stmt *text = prepare(db, "INSERT INTO lead_text (rowid, full_name, company, emails, phones) VALUES (?, ?, ?, ?, '')");
    sqlite3_stmt *type_status = prepare(db,
        "INSERT INTO agg_type_status (type_id, status_id, count) VALUES (1, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1");
    sqlite3_stmt *pipeline = prepare(db,
        "INSERT INTO agg_pipeline (state, currency, count, amount, weighted) VALUES (?, 'EUR', 1, ?, ?) "
        "ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount, weighted = weighted + excluded.weighted");
    sqlite3_stmt *conversion = prepare(db,
        "INSERT INTO agg_conversion (grouping, key, day, state, count) VALUES (?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1");
    sqlite3_stmt *open_leads = prepare(db,
        "INSERT INTO agg_open_leads (user_id, count) VALUES (?, 1) ON CONFLICT DO UPDATE SET count = count + 1");
    sqlite3_stmt *cursor = prepare(db,
        "INSERT INTO feed_cursor (source, applied_sequence, head_sequence, applied_at, last_error) VALUES ('floor', ?1, ?1, ?2, '') "
        "ON CONFLICT DO UPDATE SET applied_sequence = ?1, head_sequence = ?1, applied_at = ?2");

    static const char *status_names[] = {"", "New", "Qualifying", "Won", "Lost", "Cancelled"};
    long long base = 1767225600000LL;
    double start = now_s();
    for (long done = 0; done < leads;) {
        run(db, "BEGIN IMMEDIATE");
        long k = 0;
        for (; k < per_transaction && done < leads; k++, done++) {
            long i = done + 1;
            char name[64], company[64], email[64], campaign[32], postal[16], owner_name[32];
            snprintf(name, sizeof name, "Bench Lead %ld", i);
            snprintf(company, sizeof company, "Company %ld", i % 997);
            snprintf(email, sizeof email, "lead%ld@bench.example", i);
            snprintf(campaign, sizeof campaign, "Campaign %ld", i % 50);
            snprintf(postal, sizeof postal, "%05ld", (i * 7919) % 52000);
            long status = 1 + i % 5, owner = 1 + i % 20, assignee = i % 3 == 0 ? 0 : 1 + (i * 7) % 20;
            long long amount = (i % 100) * 10000, created = base - (i % 365) * 86400000LL;
            int probability = (int)(i % 101), open = status <= 2;
            snprintf(owner_name, sizeof owner_name, "User %ld", owner);
            sqlite3_bind_int64(row, 1, i);
            sqlite3_bind_text(row, 2, name, -1, SQLITE_STATIC);
            sqlite3_bind_text(row, 3, company, -1, SQLITE_STATIC);
            sqlite3_bind_text(row, 4, email, -1, SQLITE_STATIC);
            sqlite3_bind_text(row, 5, countries[(((long long)i * 2654435761LL) >> 7) % 10], -1, SQLITE_STATIC);
            sqlite3_bind_text(row, 6, postal, -1, SQLITE_STATIC);
            sqlite3_bind_text(row, 7, campaign, -1, SQLITE_STATIC);
            sqlite3_bind_int64(row, 8, 7);
            sqlite3_bind_int64(row, 9, status);
            sqlite3_bind_text(row, 10, status_names[status], -1, SQLITE_STATIC);
            sqlite3_bind_int64(row, 11, status);
            sqlite3_bind_int64(row, 12, open);
            sqlite3_bind_int64(row, 13, probability);
            sqlite3_bind_int64(row, 14, amount);
            sqlite3_bind_int64(row, 15, owner);
            sqlite3_bind_text(row, 16, owner_name, -1, SQLITE_STATIC);
            sqlite3_bind_int64(row, 17, assignee);
            sqlite3_bind_text(row, 18, assignee ? owner_name : "", -1, SQLITE_STATIC);
            sqlite3_bind_int64(row, 19, created + 30 * 86400000LL);
            sqlite3_bind_int64(row, 20, created);
            step(db, row, "insert row");
            sqlite3_bind_int64(text, 1, i);
            sqlite3_bind_text(text, 2, name, -1, SQLITE_STATIC);
            sqlite3_bind_text(text, 3, company, -1, SQLITE_STATIC);
            sqlite3_bind_text(text, 4, email, -1, SQLITE_STATIC);
            step(db, text, "insert text");
            sqlite3_bind_int64(type_status, 1, status);
            step(db, type_status, "type and status");
            sqlite3_bind_int64(pipeline, 1, status);
            sqlite3_bind_int64(pipeline, 2, amount);
            sqlite3_bind_int64(pipeline, 3, (amount * probability + 50) / 100);
            step(db, pipeline, "pipeline");
            char key[32];
            const char *groupings[] = {"source", "campaign", "owner"};
            for (int g = 0; g < 3; g++) {
                if (g == 0) snprintf(key, sizeof key, "7");
                else if (g == 1) snprintf(key, sizeof key, "%s", campaign);
                else snprintf(key, sizeof key, "%ld", owner);
                sqlite3_bind_text(conversion, 1, groupings[g], -1, SQLITE_STATIC);
                sqlite3_bind_text(conversion, 2, key, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(conversion, 3, created / 86400000LL);
                sqlite3_bind_int64(conversion, 4, status);
                step(db, conversion, "conversion");
            }
            if (open) {
                sqlite3_bind_int64(open_leads, 1, assignee ? assignee : owner);
                step(db, open_leads, "open leads");
            }
        }
        sqlite3_bind_int64(cursor, 1, done);
        sqlite3_bind_int64(cursor, 2, base);
        step(db, cursor, "cursor");
        run(db, "COMMIT");
    }
    double elapsed = now_s() - start;
    printf("rate=%.1f\n", leads / elapsed);
    sqlite3_finalize(row);
    sqlite3_finalize(text);
    sqlite3_finalize(type_status);
    sqlite3_finalize(pipeline);
    sqlite3_finalize(conversion);
    sqlite3_finalize(open_leads);
    sqlite3_finalize(cursor);
    sqlite3_close(db);
    return 0;
}
