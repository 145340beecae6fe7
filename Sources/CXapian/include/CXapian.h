// CXapian: a pure C face over libxapian (C++), so that Swift never sees a C++ type or exception.
//
// Conventions (after leveldb's c.h):
// - every symbol is prefixed `pxs_` (PlanSearch Xapian Shim);
// - handles are opaque and owned by the caller, who frees each with its `_free` function;
// - strings go in and out as pointer + length (UTF-8 or raw bytes; NUL bytes allowed);
// - strings handed out are malloc'ed and freed with `pxs_string_free`;
// - the last parameter of a call that can fail is `pxs_error **err`: on failure it is set to a new
//   error (free with `pxs_error_free`) and the call returns 0 / NULL / false; on success it is left
//   alone. `err` must point to NULL on entry.
// - no C++ exception ever leaves a function declared here: Xapian::Error (which is NOT a
//   std::exception), std::bad_alloc, std::exception and anything else are caught and reported.
//
// Threads: nothing here is thread-safe. A handle, and anything made from it (a result set from a
// database), must be used by one thread at a time; XapianKit states that in Swift's types.
#ifndef PLANSEARCH_CXAPIAN_H
#define PLANSEARCH_CXAPIAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: Errors

/// What kind of failure; callers act on these differently (retry, reopen, report, give up).
typedef enum pxs_error_code {
    PXS_ERR_OTHER = 1,              ///< any other Xapian::Error
    PXS_ERR_DATABASE_LOCKED = 2,    ///< another writer holds the lock (DatabaseLockError)
    PXS_ERR_DATABASE_MODIFIED = 3,  ///< a reader fell too far behind the writer: reopen and retry
    PXS_ERR_DATABASE_CORRUPT = 4,   ///< DatabaseCorruptError
    PXS_ERR_DATABASE_NOT_FOUND = 5, ///< no database at that path (DatabaseNotFoundError)
    PXS_ERR_DOCUMENT_NOT_FOUND = 6, ///< DocNotFoundError
    PXS_ERR_INVALID_ARGUMENT = 7,   ///< InvalidArgumentError, or a bad argument caught by the shim
    PXS_ERR_INVALID_OPERATION = 8,  ///< InvalidOperationError (e.g. commit inside no transaction)
    PXS_ERR_QUERY_PARSE = 9,        ///< QueryParserError
    PXS_ERR_OUT_OF_MEMORY = 10,     ///< std::bad_alloc
    PXS_ERR_DATABASE_OPENING = 11,  ///< DatabaseOpeningError other than not-found (e.g. version)
    PXS_ERR_DATABASE_CLOSED = 12,   ///< DatabaseClosedError: used after close
    PXS_ERR_NETWORK = 13,           ///< NetworkError (remote databases)
    PXS_ERR_NETWORK_TIMEOUT = 14,   ///< NetworkTimeoutError
    PXS_ERR_DATABASE = 15,          ///< another DatabaseError (I/O trouble and the like)
    PXS_ERR_STD_EXCEPTION = 16,     ///< a std::exception that is not bad_alloc
    PXS_ERR_UNKNOWN = 17,           ///< something thrown that is neither
} pxs_error_code;

typedef struct pxs_error pxs_error;

int pxs_error_code_of(const pxs_error *err);
/// Xapian's own type name ("DatabaseLockError"), or "bad_alloc", "std::exception", "unknown".
const char *pxs_error_type(const pxs_error *err);
const char *pxs_error_message(const pxs_error *err);
void pxs_error_free(pxs_error *err);

/// Frees a string this library handed out.
void pxs_string_free(char *s);

/// libxapian's version, e.g. "1.4.22" (static storage).
const char *pxs_xapian_version(void);

/// Xapian's order-preserving encoding of a double into at most 9 bytes, for value slots.
/// Writes into `out` (at least 16 bytes) and returns the length.
size_t pxs_sortable_serialise(double value, char *out);
double pxs_sortable_unserialise(const char *bytes, size_t len);

// MARK: Databases

typedef struct pxs_database pxs_database;

typedef enum pxs_open_mode {
    PXS_OPEN_CREATE_OR_OPEN = 0,
    PXS_OPEN_CREATE = 1,            ///< fails if the database exists
    PXS_OPEN_OPEN = 2,              ///< fails if the database does not exist
    PXS_OPEN_CREATE_OR_OVERWRITE = 3,
} pxs_open_mode;

/// A reader over one database directory.
pxs_database *pxs_database_open(const char *path, size_t path_len, pxs_error **err);
/// A remote database served by xapian-tcpsrv (no authentication: loopback or a private network).
/// `timeout_ms` bounds each operation, `connect_timeout_ms` the connection.
pxs_database *pxs_database_open_remote_tcp(const char *host, size_t host_len, unsigned port,
                                           unsigned timeout_ms, unsigned connect_timeout_ms,
                                           pxs_error **err);
/// A remote database over a program's stdin/stdout, e.g. `ssh host xapian-progsrv /path/db`.
pxs_database *pxs_database_open_remote_program(const char *program, size_t program_len,
                                               const char *args, size_t args_len,
                                               unsigned timeout_ms, pxs_error **err);
/// A reader with no databases yet; add shards with `pxs_database_add`.
pxs_database *pxs_database_new_empty(pxs_error **err);
/// Adds `other`'s databases to `db` so they are searched as one (statistics merged).
bool pxs_database_add(pxs_database *db, const pxs_database *other, pxs_error **err);
/// The writer. `wait_for_lock` blocks until another writer lets go instead of failing at once.
pxs_database *pxs_writable_open(const char *path, size_t path_len, pxs_open_mode mode,
                                bool wait_for_lock, bool no_sync, pxs_error **err);
bool pxs_database_is_writable(const pxs_database *db);
/// Closes the underlying database (a writer commits unless a transaction is open, which is
/// cancelled). Further use fails with PXS_ERR_DATABASE_CLOSED. The handle still needs freeing.
bool pxs_database_close(pxs_database *db, pxs_error **err);
void pxs_database_free(pxs_database *db);

/// Moves a reader to the newest committed revision; sets *changed when it moved.
bool pxs_database_reopen(pxs_database *db, bool *changed, pxs_error **err);
/// Writes a compacted copy of the database (same document ids) into the new directory `dest`.
bool pxs_database_compact(pxs_database *db, const char *dest, size_t dest_len, pxs_error **err);
/// Swaps two directories' names in one step (Linux renameat2 RENAME_EXCHANGE; both must exist,
/// on one file system). NUL-terminated paths; returns 0, or the errno.
int pxs_exchange_directories(const char *a, const char *b);
uint32_t pxs_database_doccount(const pxs_database *db, pxs_error **err);
uint32_t pxs_database_lastdocid(const pxs_database *db, pxs_error **err);
double pxs_database_avlength(const pxs_database *db, pxs_error **err);
uint32_t pxs_database_termfreq(const pxs_database *db, const char *term, size_t len,
                               pxs_error **err);
uint64_t pxs_database_collection_freq(const pxs_database *db, const char *term, size_t len,
                                      pxs_error **err);
/// Sets *out (malloc'ed, may hold NULs) and *out_len; an absent key gives an empty string.
bool pxs_database_get_metadata(const pxs_database *db, const char *key, size_t key_len,
                               char **out, size_t *out_len, pxs_error **err);
/// Up to `max` docids of the documents indexed by `term`, in docid order; returns how many.
size_t pxs_database_postings(const pxs_database *db, const char *term, size_t len,
                             uint32_t *out, size_t max, pxs_error **err);

// MARK: Term iteration (all terms with a prefix; the terms that matched a hit)

typedef struct pxs_termiter pxs_termiter;

pxs_termiter *pxs_database_allterms(const pxs_database *db, const char *prefix, size_t len,
                                    pxs_error **err);
/// The user-metadata keys starting with `prefix`, in byte order (termfreq is always 0).
pxs_termiter *pxs_database_metadata_keys(const pxs_database *db, const char *prefix, size_t len,
                                         pxs_error **err);
/// Advances; returns true and points *term at the current term (valid until the next call or
/// free), or false at the end or on error. *termfreq is the term's document frequency where the
/// iterator knows it, else 0.
bool pxs_termiter_next(pxs_termiter *it, const char **term, size_t *len, uint32_t *termfreq,
                       pxs_error **err);
void pxs_termiter_free(pxs_termiter *it);

// MARK: Documents (built in C++ only for the length of one add/replace call)

typedef struct pxs_document pxs_document;

pxs_document *pxs_document_new(pxs_error **err);
void pxs_document_free(pxs_document *doc);
/// `n` postings at once: terms concatenated in `terms`, each `lens[i]` bytes long.
bool pxs_document_add_postings(pxs_document *doc, const char *terms, const uint32_t *lens,
                               const uint32_t *positions, const uint32_t *wdf_incs, size_t n,
                               pxs_error **err);
/// `n` terms without positions.
bool pxs_document_add_terms(pxs_document *doc, const char *terms, const uint32_t *lens,
                            const uint32_t *wdf_incs, size_t n, pxs_error **err);
bool pxs_document_add_boolean_term(pxs_document *doc, const char *term, size_t len,
                                   pxs_error **err);
bool pxs_document_add_value(pxs_document *doc, uint32_t slot, const char *value, size_t len,
                            pxs_error **err);
bool pxs_document_set_data(pxs_document *doc, const char *data, size_t len, pxs_error **err);
/// Xapian's own TermGenerator over `text` (baseline only): with `cjk_ngram`, Han runs become
/// unigrams and bigrams (FLAG_CJK_NGRAM); no stemmer. Positions continue from `start_pos`
/// (none at all unless `positional`); returns the position after the last term.
uint32_t pxs_document_index_text(pxs_document *doc, const char *text, size_t len,
                                 const char *prefix, size_t prefix_len, uint32_t wdf_inc,
                                 bool cjk_ngram, bool positional, uint32_t start_pos,
                                 pxs_error **err);

/// A stored document, read back. `assume_valid` skips the check that the id exists (Xapian's
/// DOC_ASSUME_VALID, one B-tree lookup less): for ids a search of the same revision returned;
/// a document that does not exist then reads as empty instead of failing.
pxs_document *pxs_database_get_document(const pxs_database *db, uint32_t docid, bool assume_valid,
                                        pxs_error **err);
bool pxs_document_get_data(const pxs_document *doc, char **out, size_t *out_len, pxs_error **err);
bool pxs_document_get_value(const pxs_document *doc, uint32_t slot, char **out, size_t *out_len,
                            pxs_error **err);
/// The slots that hold a value, in order; writes up to `max` and returns how many there are.
size_t pxs_document_value_slots(const pxs_document *doc, uint32_t *out, size_t max,
                                pxs_error **err);
/// The document's terms (with wdf in *termfreq's place: see pxs_termiter_next).
pxs_termiter *pxs_document_termlist(const pxs_document *doc, pxs_error **err);

// MARK: Writing (the database must be a writer)

uint32_t pxs_writable_add_document(pxs_database *db, const pxs_document *doc, pxs_error **err);
/// Replaces every document indexed by `unique_term` with `doc` (adds it if there is none).
uint32_t pxs_writable_replace_document_by_term(pxs_database *db, const char *unique_term,
                                               size_t len, const pxs_document *doc,
                                               pxs_error **err);
bool pxs_writable_replace_document(pxs_database *db, uint32_t docid, const pxs_document *doc,
                                   pxs_error **err);
/// Deletes every document indexed by `term`.
bool pxs_writable_delete_document_by_term(pxs_database *db, const char *term, size_t len,
                                          pxs_error **err);
bool pxs_writable_delete_document(pxs_database *db, uint32_t docid, pxs_error **err);
bool pxs_writable_begin_transaction(pxs_database *db, bool flushed, pxs_error **err);
bool pxs_writable_commit_transaction(pxs_database *db, pxs_error **err);
bool pxs_writable_cancel_transaction(pxs_database *db, pxs_error **err);
bool pxs_writable_commit(pxs_database *db, pxs_error **err);
bool pxs_writable_set_metadata(pxs_database *db, const char *key, size_t key_len,
                               const char *value, size_t value_len, pxs_error **err);

// MARK: Queries (built and freed on the thread that runs them)

typedef struct pxs_query pxs_query;

typedef enum pxs_query_op {
    PXS_OP_AND = 0,
    PXS_OP_OR = 1,
    PXS_OP_AND_NOT = 2,
    PXS_OP_XOR = 3,
    PXS_OP_AND_MAYBE = 4,
    PXS_OP_FILTER = 5,
    PXS_OP_NEAR = 6,
    PXS_OP_PHRASE = 7,
    PXS_OP_ELITE_SET = 8,
    PXS_OP_SYNONYM = 9,
    PXS_OP_MAX = 10,
} pxs_query_op;

pxs_query *pxs_query_term(const char *term, size_t len, uint32_t wqf, uint32_t pos,
                          pxs_error **err);
pxs_query *pxs_query_match_all(pxs_error **err);
pxs_query *pxs_query_match_nothing(pxs_error **err);
/// Combines `n` subqueries with `op`. `parameter` is the window for NEAR and PHRASE (0: the
/// number of subqueries) and the set size for ELITE_SET; ignored otherwise.
pxs_query *pxs_query_combine(pxs_query_op op, pxs_query *const *subqueries, size_t n,
                             uint32_t parameter, pxs_error **err);
pxs_query *pxs_query_scale_weight(const pxs_query *q, double factor, pxs_error **err);
/// Documents whose value in `slot` lies in [begin, end] (byte order). `has_begin` / `has_end`
/// false leave that side open.
pxs_query *pxs_query_value_range(uint32_t slot, const char *begin, size_t begin_len,
                                 bool has_begin, const char *end, size_t end_len, bool has_end,
                                 pxs_error **err);
/// Exactly the documents `ids` (any order, repeats allowed), weighing nothing: restricts a query
/// to candidates an earlier search found. Ids are a single database's own: not for a search
/// over several databases (Xapian then reports an error). Xapian takes the ids at their word:
/// they must name documents of the database searched (as that search returned them).
pxs_query *pxs_query_documents(const uint32_t *ids, size_t n, pxs_error **err);
/// Xapian's own QueryParser (baseline only), with FLAG_CJK_NGRAM when asked, default op AND or OR.
pxs_query *pxs_query_parse(const char *text, size_t len, const char *prefix, size_t prefix_len,
                           bool cjk_ngram, bool default_and, pxs_error **err);
/// Xapian's description of the query, for debugging (malloc'ed).
char *pxs_query_description(const pxs_query *q, size_t *out_len, pxs_error **err);
void pxs_query_free(pxs_query *q);

// MARK: Searching

typedef enum pxs_sort_order {
    PXS_SORT_RELEVANCE = 0,
    PXS_SORT_VALUE = 1,                ///< by the value in `sort_slot` only
    PXS_SORT_VALUE_THEN_RELEVANCE = 2,
    PXS_SORT_RELEVANCE_THEN_VALUE = 3,
} pxs_sort_order;

typedef struct pxs_search_options {
    uint32_t offset;
    uint32_t limit;
    uint32_t check_at_least;
    /// BM25 parameters (Xapian's defaults: 1, 0, 1, 0.5, 0.5).
    double bm25_k1, bm25_k2, bm25_k3, bm25_b, bm25_min_normlen;
    /// true: every match weighs 0 (pure boolean filtering).
    bool bool_weight;
    /// Keep at most `collapse_max` hits per distinct value in `collapse_slot`; -1: no collapsing.
    int64_t collapse_slot;
    uint32_t collapse_max;
    pxs_sort_order sort_order;
    uint32_t sort_slot;
    bool sort_descending;
} pxs_search_options;

/// Fills `opts` with Xapian's defaults: limit 10, BM25 as above, no collapse, by relevance.
void pxs_search_options_init(pxs_search_options *opts);

typedef struct pxs_mset pxs_mset;

pxs_mset *pxs_search(const pxs_database *db, const pxs_query *query,
                     const pxs_search_options *opts, pxs_error **err);
void pxs_mset_free(pxs_mset *m);
uint32_t pxs_mset_size(const pxs_mset *m);
uint32_t pxs_mset_matches_estimated(const pxs_mset *m);
uint32_t pxs_mset_matches_lower_bound(const pxs_mset *m);
uint32_t pxs_mset_matches_upper_bound(const pxs_mset *m);

/// One hit's numbers; `index` counts from 0 within this result set.
typedef struct pxs_hit {
    uint32_t docid;
    uint32_t rank;
    double weight;
    int32_t percent;
    uint32_t collapse_count;
} pxs_hit;

bool pxs_mset_hit(const pxs_mset *m, uint32_t index, pxs_hit *out, pxs_error **err);
/// The hit's stored document (free it with pxs_document_free).
pxs_document *pxs_mset_document(const pxs_mset *m, uint32_t index, pxs_error **err);
/// The query terms that the hit's document contains.
pxs_termiter *pxs_mset_matching_terms(const pxs_mset *m, uint32_t index, pxs_error **err);

#ifdef __cplusplus
}
#endif

#endif
