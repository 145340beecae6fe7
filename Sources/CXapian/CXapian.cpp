// The C++ side of CXapian.h. Every exported function runs its body through `guarded`, which turns
// whatever is thrown into a pxs_error: a C++ exception crossing into Swift would abort the daemon.
// Keep this file boring: no logic beyond translating between the C header and Xapian's API.
#include "CXapian.h"

#include <xapian.h>

#include <algorithm>

#include <cstdlib>
#include <cerrno>
#include <cstdio>  // renameat2 (glibc, _GNU_SOURCE, which g++ defines)
#include <cstring>
#include <fcntl.h>  // AT_FDCWD
#include <memory>
#include <new>
#include <string>
#include <vector>

// MARK: Errors

struct pxs_error {
    int code;
    char *type;
    char *message;
    bool is_static;  // the preallocated out-of-memory error, never freed
};

static char oom_type[] = "bad_alloc";
static char oom_message[] = "out of memory while reporting an error";
static pxs_error oom_error = {PXS_ERR_OUT_OF_MEMORY, oom_type, oom_message, true};

// Uses malloc, never new: this runs inside catch handlers and must not throw itself.
static char *copy_bytes(const char *s, size_t len) {
    char *out = static_cast<char *>(std::malloc(len + 1));
    if (out == nullptr) return nullptr;
    if (len > 0) std::memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

static void set_error(pxs_error **err, int code, const char *type, const char *message,
                      size_t message_len) noexcept {
    if (err == nullptr) return;
    if (*err != nullptr) pxs_error_free(*err);
    pxs_error *e = static_cast<pxs_error *>(std::malloc(sizeof(pxs_error)));
    char *t = copy_bytes(type, std::strlen(type));
    char *m = copy_bytes(message, message_len);
    if (e == nullptr || t == nullptr || m == nullptr) {
        std::free(e);
        std::free(t);
        std::free(m);
        *err = &oom_error;
        return;
    }
    *e = pxs_error{code, t, m, false};
    *err = e;
}

static void set_error(pxs_error **err, int code, const char *type, const char *message) noexcept {
    set_error(err, code, type, message, std::strlen(message));
}

// Xapian::Error has no virtual functions, so dynamic_cast cannot tell its subclasses apart;
// get_type() names the most derived class, and that is what we map.
static int classify(const Xapian::Error &e) noexcept {
    static const struct {
        const char *type;
        int code;
    } table[] = {
        {"DatabaseLockError", PXS_ERR_DATABASE_LOCKED},
        {"DatabaseModifiedError", PXS_ERR_DATABASE_MODIFIED},
        {"DatabaseCorruptError", PXS_ERR_DATABASE_CORRUPT},
        {"DatabaseNotFoundError", PXS_ERR_DATABASE_NOT_FOUND},
        {"DatabaseClosedError", PXS_ERR_DATABASE_CLOSED},
        {"DatabaseOpeningError", PXS_ERR_DATABASE_OPENING},
        {"DatabaseVersionError", PXS_ERR_DATABASE_OPENING},
        {"DatabaseCreateError", PXS_ERR_DATABASE},
        {"DatabaseError", PXS_ERR_DATABASE},
        {"DocNotFoundError", PXS_ERR_DOCUMENT_NOT_FOUND},
        {"QueryParserError", PXS_ERR_QUERY_PARSE},
        {"InvalidArgumentError", PXS_ERR_INVALID_ARGUMENT},
        {"InvalidOperationError", PXS_ERR_INVALID_OPERATION},
        {"NetworkTimeoutError", PXS_ERR_NETWORK_TIMEOUT},
        {"NetworkError", PXS_ERR_NETWORK},
    };
    const char *type = e.get_type();
    if (type == nullptr) return PXS_ERR_OTHER;
    for (const auto &row : table)
        if (std::strcmp(type, row.type) == 0) return row.code;
    return PXS_ERR_OTHER;
}

namespace {
// Thrown by the shim itself for bad arguments, so they take the same path as Xapian's errors.
struct shim_invalid_argument {
    const char *message;
};
}  // namespace

template <typename R, typename F>
static R guarded(pxs_error **err, R failure, F &&body) noexcept {
    try {
        return body();
    } catch (const shim_invalid_argument &e) {
        set_error(err, PXS_ERR_INVALID_ARGUMENT, "InvalidArgumentError", e.message);
    } catch (const Xapian::Error &e) {
        // get_type() is static storage; get_msg() may hold the OS error too.
        const std::string &msg = e.get_msg();
        std::string full = msg;
        try {
            if (!e.get_context().empty()) full += " (context: " + e.get_context() + ")";
            if (e.get_error_string() != nullptr) full += std::string(" (") + e.get_error_string() + ")";
        } catch (...) {
            // Keep the bare message if building the long one fails.
            set_error(err, classify(e), e.get_type(), msg.data(), msg.size());
            return failure;
        }
        set_error(err, classify(e), e.get_type(), full.data(), full.size());
    } catch (const std::bad_alloc &) {
        set_error(err, PXS_ERR_OUT_OF_MEMORY, "bad_alloc", "out of memory");
    } catch (const std::exception &e) {
        set_error(err, PXS_ERR_STD_EXCEPTION, "std::exception", e.what());
    } catch (...) {
        set_error(err, PXS_ERR_UNKNOWN, "unknown", "an unknown C++ exception was thrown");
    }
    return failure;
}

// Destructors may throw in theory (a writer's commits on destruction, for one): never let that out.
template <typename T>
static void destroy(T *handle) noexcept {
    try {
        delete handle;
    } catch (...) {
    }
}

template <typename T>
static T &require(T *handle, const char *what) {
    if (handle == nullptr) throw shim_invalid_argument{what};
    return *handle;
}

static std::string bytes(const char *s, size_t len) {
    if (s == nullptr && len > 0) throw shim_invalid_argument{"NULL string with a non-zero length"};
    return len == 0 ? std::string() : std::string(s, len);
}

static bool hand_out(const std::string &s, char **out, size_t *out_len) {
    if (out == nullptr || out_len == nullptr) throw shim_invalid_argument{"NULL output pointer"};
    char *copy = copy_bytes(s.data(), s.size());
    if (copy == nullptr) throw std::bad_alloc();
    *out = copy;
    *out_len = s.size();
    return true;
}

extern "C" {

int pxs_error_code_of(const pxs_error *err) { return err ? err->code : 0; }
const char *pxs_error_type(const pxs_error *err) { return err ? err->type : ""; }
const char *pxs_error_message(const pxs_error *err) { return err ? err->message : ""; }

void pxs_error_free(pxs_error *err) {
    if (err == nullptr || err->is_static) return;
    std::free(err->type);
    std::free(err->message);
    std::free(err);
}

void pxs_string_free(char *s) { std::free(s); }

const char *pxs_xapian_version(void) { return Xapian::version_string(); }

size_t pxs_sortable_serialise(double value, char *out) {
    // Xapian writes at most 9 bytes here and does not allocate or throw.
    return Xapian::sortable_serialise_(value, out);
}

double pxs_sortable_unserialise(const char *bytes_, size_t len) {
    try {
        return Xapian::sortable_unserialise(std::string(bytes_ ? bytes_ : "", bytes_ ? len : 0));
    } catch (...) {
        return 0.0;
    }
}

}  // extern "C"

// MARK: Databases

struct pxs_database {
    Xapian::Database db;  // for a writer: a handle on the same backend as `writer`
    std::unique_ptr<Xapian::WritableDatabase> writer;
};

static Xapian::WritableDatabase &writer_of(pxs_database *db) {
    pxs_database &d = require(db, "NULL database");
    if (!d.writer) throw shim_invalid_argument{"this database was opened for reading, not writing"};
    return *d.writer;
}

extern "C" {

pxs_database *pxs_database_open(const char *path, size_t path_len, pxs_error **err) {
    return guarded<pxs_database *>(err, nullptr, [&] {
        std::string p = bytes(path, path_len);
        if (p.empty()) throw shim_invalid_argument{"empty database path"};
        auto handle = std::make_unique<pxs_database>();
        handle->db = Xapian::Database(p);
        return handle.release();
    });
}

pxs_database *pxs_database_open_remote_tcp(const char *host, size_t host_len, unsigned port,
                                           unsigned timeout_ms, unsigned connect_timeout_ms,
                                           pxs_error **err) {
    return guarded<pxs_database *>(err, nullptr, [&] {
        std::string h = bytes(host, host_len);
        if (h.empty() || port == 0 || port > 65535) throw shim_invalid_argument{"bad host or port"};
        auto handle = std::make_unique<pxs_database>();
        // Milliseconds, despite the useconds_t type (dbfactory.h: "timeout in milliseconds").
        handle->db = Xapian::Remote::open(h, port, useconds_t(timeout_ms), useconds_t(connect_timeout_ms));
        return handle.release();
    });
}

pxs_database *pxs_database_open_remote_program(const char *program, size_t program_len,
                                               const char *args, size_t args_len,
                                               unsigned timeout_ms, pxs_error **err) {
    return guarded<pxs_database *>(err, nullptr, [&] {
        std::string p = bytes(program, program_len);
        if (p.empty()) throw shim_invalid_argument{"empty program"};
        auto handle = std::make_unique<pxs_database>();
        handle->db = Xapian::Remote::open(p, bytes(args, args_len), useconds_t(timeout_ms));  // milliseconds
        return handle.release();
    });
}

pxs_database *pxs_database_new_empty(pxs_error **err) {
    return guarded<pxs_database *>(err, nullptr, [&] { return new pxs_database(); });
}

bool pxs_database_add(pxs_database *db, const pxs_database *other, pxs_error **err) {
    return guarded(err, false, [&] {
        pxs_database &d = require(db, "NULL database");
        if (d.writer) throw shim_invalid_argument{"cannot add databases to a writer"};
        d.db.add_database(require(other, "NULL database to add").db);
        return true;
    });
}

pxs_database *pxs_writable_open(const char *path, size_t path_len, pxs_open_mode mode,
                                bool wait_for_lock, bool no_sync, pxs_error **err) {
    return guarded<pxs_database *>(err, nullptr, [&] {
        std::string p = bytes(path, path_len);
        if (p.empty()) throw shim_invalid_argument{"empty database path"};
        int flags;
        switch (mode) {
            case PXS_OPEN_CREATE_OR_OPEN: flags = Xapian::DB_CREATE_OR_OPEN; break;
            case PXS_OPEN_CREATE: flags = Xapian::DB_CREATE; break;
            case PXS_OPEN_OPEN: flags = Xapian::DB_OPEN; break;
            case PXS_OPEN_CREATE_OR_OVERWRITE: flags = Xapian::DB_CREATE_OR_OVERWRITE; break;
            default: throw shim_invalid_argument{"unknown open mode"};
        }
        if (wait_for_lock) flags |= Xapian::DB_RETRY_LOCK;
        if (no_sync) flags |= Xapian::DB_NO_SYNC;
        auto handle = std::make_unique<pxs_database>();
        handle->writer = std::make_unique<Xapian::WritableDatabase>(p, flags);
        handle->db = *handle->writer;
        return handle.release();
    });
}

bool pxs_database_is_writable(const pxs_database *db) { return db != nullptr && db->writer; }

bool pxs_database_close(pxs_database *db, pxs_error **err) {
    return guarded(err, false, [&] {
        pxs_database &d = require(db, "NULL database");
        if (d.writer) d.writer->close();
        d.db.close();
        return true;
    });
}

bool pxs_database_compact(pxs_database *db, const char *dest, size_t dest_len, pxs_error **err) {
    return guarded(err, false, [&] {
        std::string d = bytes(dest, dest_len);
        if (d.empty()) throw shim_invalid_argument{"empty destination"};
        // Same document ids: the index's analyzer mark names its last one.
        require(db, "NULL database").db.compact(d, Xapian::DBCOMPACT_NO_RENUMBER);
        return true;
    });
}

// The one call here that is not Xapian's: swapping a compacted copy in for the database it was
// made from needs renameat2, which Swift's Glibc module does not declare.
int pxs_exchange_directories(const char *a, const char *b) {
    if (a == nullptr || b == nullptr) return EINVAL;
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0 ? 0 : errno;
}

// A writer's destructor commits and swallows errors; XapianKit commits or closes explicitly first.
void pxs_database_free(pxs_database *db) { destroy(db); }

bool pxs_database_reopen(pxs_database *db, bool *changed, pxs_error **err) {
    return guarded(err, false, [&] {
        bool moved = require(db, "NULL database").db.reopen();
        if (changed) *changed = moved;
        return true;
    });
}

uint32_t pxs_database_doccount(const pxs_database *db, pxs_error **err) {
    return guarded<uint32_t>(err, 0, [&] { return require(db, "NULL database").db.get_doccount(); });
}

uint32_t pxs_database_lastdocid(const pxs_database *db, pxs_error **err) {
    return guarded<uint32_t>(err, 0,
                             [&] { return require(db, "NULL database").db.get_lastdocid(); });
}

double pxs_database_avlength(const pxs_database *db, pxs_error **err) {
    return guarded<double>(err, 0, [&] { return require(db, "NULL database").db.get_avlength(); });
}

uint32_t pxs_database_termfreq(const pxs_database *db, const char *term, size_t len,
                               pxs_error **err) {
    return guarded<uint32_t>(err, 0, [&] {
        return require(db, "NULL database").db.get_termfreq(bytes(term, len));
    });
}

uint64_t pxs_database_collection_freq(const pxs_database *db, const char *term, size_t len,
                                      pxs_error **err) {
    return guarded<uint64_t>(err, 0, [&] {
        return static_cast<uint64_t>(
            require(db, "NULL database").db.get_collection_freq(bytes(term, len)));
    });
}

bool pxs_database_get_metadata(const pxs_database *db, const char *key, size_t key_len,
                               char **out, size_t *out_len, pxs_error **err) {
    return guarded(err, false, [&] {
        std::string k = bytes(key, key_len);
        if (k.empty()) throw shim_invalid_argument{"empty metadata key"};
        return hand_out(require(db, "NULL database").db.get_metadata(k), out, out_len);
    });
}

size_t pxs_database_postings(const pxs_database *db, const char *term, size_t len,
                             uint32_t *out, size_t max, pxs_error **err) {
    return guarded<size_t>(err, 0, [&] {
        const Xapian::Database &d = require(db, "NULL database").db;
        std::string t = bytes(term, len);
        size_t n = 0;
        for (auto it = d.postlist_begin(t); it != d.postlist_end(t) && n < max; ++it) {
            if (out == nullptr) throw shim_invalid_argument{"NULL output array"};
            out[n++] = *it;
        }
        return n;
    });
}

}  // extern "C"

// MARK: Term iteration

struct pxs_termiter {
    enum class Kind { allterms, document, plain };
    pxs_termiter(Xapian::TermIterator b, Xapian::TermIterator e, Kind k)
        : current(std::move(b)), end(std::move(e)), kind(k) {}
    Xapian::TermIterator current;
    Xapian::TermIterator end;
    Kind kind;
    bool started = false;
    std::string term;  // the current term, kept so the pointer handed out stays valid
};

extern "C" {

pxs_termiter *pxs_database_allterms(const pxs_database *db, const char *prefix, size_t len,
                                    pxs_error **err) {
    return guarded<pxs_termiter *>(err, nullptr, [&] {
        const Xapian::Database &d = require(db, "NULL database").db;
        std::string p = bytes(prefix, len);
        return new pxs_termiter(d.allterms_begin(p), d.allterms_end(p),
                                pxs_termiter::Kind::allterms);
    });
}

pxs_termiter *pxs_database_metadata_keys(const pxs_database *db, const char *prefix, size_t len,
                                         pxs_error **err) {
    return guarded<pxs_termiter *>(err, nullptr, [&] {
        const Xapian::Database &d = require(db, "NULL database").db;
        std::string p = bytes(prefix, len);
        return new pxs_termiter(d.metadata_keys_begin(p), d.metadata_keys_end(p),
                                pxs_termiter::Kind::plain);
    });
}

bool pxs_termiter_next(pxs_termiter *it, const char **term, size_t *len, uint32_t *termfreq,
                       pxs_error **err) {
    return guarded(err, false, [&] {
        pxs_termiter &i = require(it, "NULL term iterator");
        if (i.current == i.end) return false;
        if (i.started) {
            ++i.current;
            if (i.current == i.end) return false;
        }
        i.started = true;
        i.term = *i.current;
        if (term) *term = i.term.data();
        if (len) *len = i.term.size();
        if (termfreq) {
            switch (i.kind) {
                case pxs_termiter::Kind::allterms: *termfreq = i.current.get_termfreq(); break;
                case pxs_termiter::Kind::document: *termfreq = i.current.get_wdf(); break;
                case pxs_termiter::Kind::plain: *termfreq = 0; break;
            }
        }
        return true;
    });
}

void pxs_termiter_free(pxs_termiter *it) { destroy(it); }

}  // extern "C"

// MARK: Documents

struct pxs_document {
    Xapian::Document doc;
    std::unique_ptr<Xapian::TermGenerator> termgen;  // made on first use (baseline only)
};

extern "C" {

pxs_document *pxs_document_new(pxs_error **err) {
    return guarded<pxs_document *>(err, nullptr, [&] { return new pxs_document(); });
}

void pxs_document_free(pxs_document *doc) { destroy(doc); }

bool pxs_document_add_postings(pxs_document *doc, const char *terms, const uint32_t *lens,
                               const uint32_t *positions, const uint32_t *wdf_incs, size_t n,
                               pxs_error **err) {
    return guarded(err, false, [&] {
        Xapian::Document &d = require(doc, "NULL document").doc;
        if (n > 0 && (terms == nullptr || lens == nullptr || positions == nullptr))
            throw shim_invalid_argument{"NULL posting arrays"};
        size_t offset = 0;
        std::string term;
        for (size_t i = 0; i < n; ++i) {
            if (lens[i] == 0) throw shim_invalid_argument{"empty term"};
            term.assign(terms + offset, lens[i]);
            offset += lens[i];
            d.add_posting(term, positions[i], wdf_incs ? wdf_incs[i] : 1);
        }
        return true;
    });
}

bool pxs_document_add_terms(pxs_document *doc, const char *terms, const uint32_t *lens,
                            const uint32_t *wdf_incs, size_t n, pxs_error **err) {
    return guarded(err, false, [&] {
        Xapian::Document &d = require(doc, "NULL document").doc;
        if (n > 0 && (terms == nullptr || lens == nullptr))
            throw shim_invalid_argument{"NULL term arrays"};
        size_t offset = 0;
        std::string term;
        for (size_t i = 0; i < n; ++i) {
            if (lens[i] == 0) throw shim_invalid_argument{"empty term"};
            term.assign(terms + offset, lens[i]);
            offset += lens[i];
            d.add_term(term, wdf_incs ? wdf_incs[i] : 1);
        }
        return true;
    });
}

bool pxs_document_add_boolean_term(pxs_document *doc, const char *term, size_t len,
                                   pxs_error **err) {
    return guarded(err, false, [&] {
        std::string t = bytes(term, len);
        if (t.empty()) throw shim_invalid_argument{"empty term"};
        require(doc, "NULL document").doc.add_boolean_term(t);
        return true;
    });
}

bool pxs_document_add_value(pxs_document *doc, uint32_t slot, const char *value, size_t len,
                            pxs_error **err) {
    return guarded(err, false, [&] {
        if (slot == Xapian::BAD_VALUENO) throw shim_invalid_argument{"value slot 0xffffffff"};
        require(doc, "NULL document").doc.add_value(slot, bytes(value, len));
        return true;
    });
}

bool pxs_document_set_data(pxs_document *doc, const char *data, size_t len, pxs_error **err) {
    return guarded(err, false, [&] {
        require(doc, "NULL document").doc.set_data(bytes(data, len));
        return true;
    });
}

uint32_t pxs_document_index_text(pxs_document *doc, const char *text, size_t len,
                                 const char *prefix, size_t prefix_len, uint32_t wdf_inc,
                                 bool cjk_ngram, bool positional, uint32_t start_pos,
                                 pxs_error **err) {
    return guarded<uint32_t>(err, 0, [&] {
        pxs_document &d = require(doc, "NULL document");
        if (!d.termgen) {
            d.termgen = std::make_unique<Xapian::TermGenerator>();
            d.termgen->set_document(d.doc);
        }
        d.termgen->set_flags(cjk_ngram ? Xapian::TermGenerator::FLAG_CJK_NGRAM : 0);
        d.termgen->set_termpos(start_pos);
        if (positional)
            d.termgen->index_text(bytes(text, len), wdf_inc, bytes(prefix, prefix_len));
        else
            d.termgen->index_text_without_positions(bytes(text, len), wdf_inc, bytes(prefix, prefix_len));
        // The TermGenerator writes into its own copy of the document handle, which shares the
        // underlying object with d.doc, so nothing needs copying back.
        return d.termgen->get_termpos();
    });
}

pxs_document *pxs_database_get_document(const pxs_database *db, uint32_t docid, bool assume_valid,
                                        pxs_error **err) {
    return guarded<pxs_document *>(err, nullptr, [&] {
        if (docid == 0) throw shim_invalid_argument{"docid 0"};
        auto handle = std::make_unique<pxs_document>();
        handle->doc = require(db, "NULL database").db.get_document(docid, assume_valid ? Xapian::DOC_ASSUME_VALID : 0);
        return handle.release();
    });
}

bool pxs_document_get_data(const pxs_document *doc, char **out, size_t *out_len, pxs_error **err) {
    return guarded(err, false, [&] {
        return hand_out(require(doc, "NULL document").doc.get_data(), out, out_len);
    });
}

bool pxs_document_get_value(const pxs_document *doc, uint32_t slot, char **out, size_t *out_len,
                            pxs_error **err) {
    return guarded(err, false, [&] {
        return hand_out(require(doc, "NULL document").doc.get_value(slot), out, out_len);
    });
}

size_t pxs_document_value_slots(const pxs_document *doc, uint32_t *out, size_t max,
                                pxs_error **err) {
    return guarded<size_t>(err, 0, [&] {
        const Xapian::Document &d = require(doc, "NULL document").doc;
        size_t n = 0;
        for (auto it = d.values_begin(); it != d.values_end(); ++it) {
            if (n < max && out != nullptr) out[n] = it.get_valueno();
            ++n;
        }
        return n;
    });
}

pxs_termiter *pxs_document_termlist(const pxs_document *doc, pxs_error **err) {
    return guarded<pxs_termiter *>(err, nullptr, [&] {
        const Xapian::Document &d = require(doc, "NULL document").doc;
        return new pxs_termiter(d.termlist_begin(), d.termlist_end(),
                                pxs_termiter::Kind::document);
    });
}

// MARK: Writing

uint32_t pxs_writable_add_document(pxs_database *db, const pxs_document *doc, pxs_error **err) {
    return guarded<uint32_t>(err, 0, [&] {
        return writer_of(db).add_document(require(doc, "NULL document").doc);
    });
}

uint32_t pxs_writable_replace_document_by_term(pxs_database *db, const char *unique_term,
                                               size_t len, const pxs_document *doc,
                                               pxs_error **err) {
    return guarded<uint32_t>(err, 0, [&] {
        std::string t = bytes(unique_term, len);
        if (t.empty()) throw shim_invalid_argument{"empty unique term"};
        return writer_of(db).replace_document(t, require(doc, "NULL document").doc);
    });
}

bool pxs_writable_replace_document(pxs_database *db, uint32_t docid, const pxs_document *doc,
                                   pxs_error **err) {
    return guarded(err, false, [&] {
        if (docid == 0) throw shim_invalid_argument{"docid 0"};
        writer_of(db).replace_document(docid, require(doc, "NULL document").doc);
        return true;
    });
}

bool pxs_writable_delete_document_by_term(pxs_database *db, const char *term, size_t len,
                                          pxs_error **err) {
    return guarded(err, false, [&] {
        std::string t = bytes(term, len);
        if (t.empty()) throw shim_invalid_argument{"empty term"};
        writer_of(db).delete_document(t);
        return true;
    });
}

bool pxs_writable_delete_document(pxs_database *db, uint32_t docid, pxs_error **err) {
    return guarded(err, false, [&] {
        if (docid == 0) throw shim_invalid_argument{"docid 0"};
        writer_of(db).delete_document(docid);
        return true;
    });
}

bool pxs_writable_begin_transaction(pxs_database *db, bool flushed, pxs_error **err) {
    return guarded(err, false, [&] {
        writer_of(db).begin_transaction(flushed);
        return true;
    });
}

bool pxs_writable_commit_transaction(pxs_database *db, pxs_error **err) {
    return guarded(err, false, [&] {
        writer_of(db).commit_transaction();
        return true;
    });
}

bool pxs_writable_cancel_transaction(pxs_database *db, pxs_error **err) {
    return guarded(err, false, [&] {
        writer_of(db).cancel_transaction();
        return true;
    });
}

bool pxs_writable_commit(pxs_database *db, pxs_error **err) {
    return guarded(err, false, [&] {
        writer_of(db).commit();
        return true;
    });
}

bool pxs_writable_set_metadata(pxs_database *db, const char *key, size_t key_len,
                               const char *value, size_t value_len, pxs_error **err) {
    return guarded(err, false, [&] {
        std::string k = bytes(key, key_len);
        if (k.empty()) throw shim_invalid_argument{"empty metadata key"};
        writer_of(db).set_metadata(k, bytes(value, value_len));
        return true;
    });
}

}  // extern "C"

// MARK: Queries

struct pxs_query {
    Xapian::Query query;
};

static Xapian::Query::op xapian_op(pxs_query_op op) {
    switch (op) {
        case PXS_OP_AND: return Xapian::Query::OP_AND;
        case PXS_OP_OR: return Xapian::Query::OP_OR;
        case PXS_OP_AND_NOT: return Xapian::Query::OP_AND_NOT;
        case PXS_OP_XOR: return Xapian::Query::OP_XOR;
        case PXS_OP_AND_MAYBE: return Xapian::Query::OP_AND_MAYBE;
        case PXS_OP_FILTER: return Xapian::Query::OP_FILTER;
        case PXS_OP_NEAR: return Xapian::Query::OP_NEAR;
        case PXS_OP_PHRASE: return Xapian::Query::OP_PHRASE;
        case PXS_OP_ELITE_SET: return Xapian::Query::OP_ELITE_SET;
        case PXS_OP_SYNONYM: return Xapian::Query::OP_SYNONYM;
        case PXS_OP_MAX: return Xapian::Query::OP_MAX;
    }
    throw shim_invalid_argument{"unknown query operator"};
}

extern "C" {

pxs_query *pxs_query_term(const char *term, size_t len, uint32_t wqf, uint32_t pos,
                          pxs_error **err) {
    return guarded<pxs_query *>(err, nullptr, [&] {
        std::string t = bytes(term, len);
        if (t.empty()) throw shim_invalid_argument{"empty term"};
        return new pxs_query{Xapian::Query(t, wqf, pos)};
    });
}

pxs_query *pxs_query_match_all(pxs_error **err) {
    // Not Xapian::Query::MatchAll: that is one static object whose reference count is not
    // atomic, so copies made on several reader threads at once corrupted it (and then the
    // heap). The empty term is the same query, with an internal object of its own.
    return guarded<pxs_query *>(err, nullptr, [&] { return new pxs_query{Xapian::Query(std::string())}; });
}

pxs_query *pxs_query_match_nothing(pxs_error **err) {
    return guarded<pxs_query *>(err, nullptr,
                                [&] { return new pxs_query{Xapian::Query::MatchNothing}; });
}

pxs_query *pxs_query_combine(pxs_query_op op, pxs_query *const *subqueries, size_t n,
                             uint32_t parameter, pxs_error **err) {
    return guarded<pxs_query *>(err, nullptr, [&] {
        if (n > 0 && subqueries == nullptr) throw shim_invalid_argument{"NULL subquery array"};
        std::vector<Xapian::Query> subs;
        subs.reserve(n);
        for (size_t i = 0; i < n; ++i) subs.push_back(require(subqueries[i], "NULL subquery").query);
        Xapian::Query::op xop = xapian_op(op);
        if (op == PXS_OP_NEAR || op == PXS_OP_PHRASE || op == PXS_OP_ELITE_SET)
            return new pxs_query{Xapian::Query(xop, subs.begin(), subs.end(), parameter)};
        return new pxs_query{Xapian::Query(xop, subs.begin(), subs.end())};
    });
}

pxs_query *pxs_query_scale_weight(const pxs_query *q, double factor, pxs_error **err) {
    return guarded<pxs_query *>(err, nullptr, [&] {
        return new pxs_query{Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT,
                                           require(q, "NULL query").query, factor)};
    });
}

pxs_query *pxs_query_value_range(uint32_t slot, const char *begin, size_t begin_len,
                                 bool has_begin, const char *end, size_t end_len, bool has_end,
                                 pxs_error **err) {
    return guarded<pxs_query *>(err, nullptr, [&] {
        if (has_begin && has_end)
            return new pxs_query{Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot,
                                               bytes(begin, begin_len), bytes(end, end_len))};
        if (has_begin)
            return new pxs_query{
                Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, bytes(begin, begin_len))};
        if (has_end)
            return new pxs_query{
                Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, bytes(end, end_len))};
        // Both sides open: every document with any value in the slot.
        return new pxs_query{Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, std::string())};
    });
}

namespace {
/// A fixed, sorted list of document ids as a posting list that weighs nothing (see
/// pxs_query_documents). Not clonable, so Xapian refuses it over several databases, whose
/// documents' ids are not the combined search's.
class DocumentListSource final : public Xapian::PostingSource {
    std::vector<Xapian::docid> ids;
    size_t at = 0;
    bool started = false;

  public:
    explicit DocumentListSource(std::vector<Xapian::docid> sorted) : ids(std::move(sorted)) {}
    // The ids came from a search of the same database, but one may have been deleted since.
    Xapian::doccount get_termfreq_min() const override { return 0; }
    Xapian::doccount get_termfreq_est() const override { return Xapian::doccount(ids.size()); }
    Xapian::doccount get_termfreq_max() const override { return Xapian::doccount(ids.size()); }
    void init(const Xapian::Database &) override {
        at = 0;
        started = false;
    }
    void next(double) override {
        if (started) ++at;
        started = true;
    }
    void skip_to(Xapian::docid did, double) override {
        started = true;
        while (at < ids.size() && ids[at] < did) ++at;
    }
    bool at_end() const override { return started && at >= ids.size(); }
    Xapian::docid get_docid() const override { return ids[at]; }
    std::string name() const override { return "PlanSearchDocumentList"; }
};
}  // namespace

pxs_query *pxs_query_documents(const uint32_t *ids, size_t n, pxs_error **err) {
    return guarded<pxs_query *>(err, nullptr, [&] {
        std::vector<Xapian::docid> sorted(ids, ids + n);
        std::sort(sorted.begin(), sorted.end());
        sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
        // release(): Xapian owns the source from here and deletes it with the last query.
        return new pxs_query{Xapian::Query((new DocumentListSource(std::move(sorted)))->release())};
    });
}

pxs_query *pxs_query_parse(const char *text, size_t len, const char *prefix, size_t prefix_len,
                           bool cjk_ngram, bool default_and, pxs_error **err) {
    return guarded<pxs_query *>(err, nullptr, [&] {
        Xapian::QueryParser qp;
        qp.set_default_op(default_and ? Xapian::Query::OP_AND : Xapian::Query::OP_OR);
        unsigned flags = Xapian::QueryParser::FLAG_DEFAULT;
        if (cjk_ngram) flags |= Xapian::QueryParser::FLAG_CJK_NGRAM;
        return new pxs_query{qp.parse_query(bytes(text, len), flags, bytes(prefix, prefix_len))};
    });
}

char *pxs_query_description(const pxs_query *q, size_t *out_len, pxs_error **err) {
    return guarded<char *>(err, nullptr, [&] {
        char *out = nullptr;
        size_t ignored = 0;
        hand_out(require(q, "NULL query").query.get_description(), &out,
                 out_len ? out_len : &ignored);
        return out;
    });
}

void pxs_query_free(pxs_query *q) { destroy(q); }

}  // extern "C"

// MARK: Searching

struct pxs_mset {
    Xapian::Enquire enquire;  // kept: matching terms are asked of the Enquire
    Xapian::MSet mset;
};

static Xapian::MSetIterator hit_at(const pxs_mset *m, uint32_t index) {
    const pxs_mset &r = require(m, "NULL result set");
    if (index >= r.mset.size()) throw shim_invalid_argument{"hit index out of range"};
    return r.mset[index];
}

extern "C" {

void pxs_search_options_init(pxs_search_options *opts) {
    if (opts == nullptr) return;
    *opts = pxs_search_options{};
    opts->limit = 10;
    opts->bm25_k1 = 1;
    opts->bm25_k2 = 0;
    opts->bm25_k3 = 1;
    opts->bm25_b = 0.5;
    opts->bm25_min_normlen = 0.5;
    opts->collapse_slot = -1;
    opts->collapse_max = 1;
    opts->sort_order = PXS_SORT_RELEVANCE;
}

pxs_mset *pxs_search(const pxs_database *db, const pxs_query *query,
                     const pxs_search_options *opts, pxs_error **err) {
    return guarded<pxs_mset *>(err, nullptr, [&] {
        const pxs_search_options &o = require(opts, "NULL search options");
        Xapian::Enquire enquire(require(db, "NULL database").db);
        enquire.set_query(require(query, "NULL query").query);
        if (o.bool_weight) {
            enquire.set_weighting_scheme(Xapian::BoolWeight());
        } else {
            enquire.set_weighting_scheme(Xapian::BM25Weight(o.bm25_k1, o.bm25_k2, o.bm25_k3,
                                                            o.bm25_b, o.bm25_min_normlen));
        }
        if (o.collapse_slot >= 0) {
            if (o.collapse_slot >= static_cast<int64_t>(Xapian::BAD_VALUENO))
                throw shim_invalid_argument{"collapse slot out of range"};
            enquire.set_collapse_key(static_cast<Xapian::valueno>(o.collapse_slot),
                                     o.collapse_max == 0 ? 1 : o.collapse_max);
        }
        switch (o.sort_order) {
            case PXS_SORT_RELEVANCE: break;
            case PXS_SORT_VALUE:
                enquire.set_sort_by_value(o.sort_slot, o.sort_descending);
                break;
            case PXS_SORT_VALUE_THEN_RELEVANCE:
                enquire.set_sort_by_value_then_relevance(o.sort_slot, o.sort_descending);
                break;
            case PXS_SORT_RELEVANCE_THEN_VALUE:
                enquire.set_sort_by_relevance_then_value(o.sort_slot, o.sort_descending);
                break;
            default: throw shim_invalid_argument{"unknown sort order"};
        }
        auto result = std::make_unique<pxs_mset>(pxs_mset{enquire, Xapian::MSet()});
        result->mset = result->enquire.get_mset(o.offset, o.limit, o.check_at_least);
        return result.release();
    });
}

void pxs_mset_free(pxs_mset *m) { destroy(m); }

uint32_t pxs_mset_size(const pxs_mset *m) { return m ? m->mset.size() : 0; }
uint32_t pxs_mset_matches_estimated(const pxs_mset *m) {
    return m ? m->mset.get_matches_estimated() : 0;
}
uint32_t pxs_mset_matches_lower_bound(const pxs_mset *m) {
    return m ? m->mset.get_matches_lower_bound() : 0;
}
uint32_t pxs_mset_matches_upper_bound(const pxs_mset *m) {
    return m ? m->mset.get_matches_upper_bound() : 0;
}

bool pxs_mset_hit(const pxs_mset *m, uint32_t index, pxs_hit *out, pxs_error **err) {
    return guarded(err, false, [&] {
        if (out == nullptr) throw shim_invalid_argument{"NULL hit output"};
        Xapian::MSetIterator it = hit_at(m, index);
        out->docid = *it;
        out->rank = it.get_rank();
        out->weight = it.get_weight();
        out->percent = it.get_percent();
        out->collapse_count = it.get_collapse_count();
        return true;
    });
}

pxs_document *pxs_mset_document(const pxs_mset *m, uint32_t index, pxs_error **err) {
    return guarded<pxs_document *>(err, nullptr, [&] {
        auto handle = std::make_unique<pxs_document>();
        handle->doc = hit_at(m, index).get_document();
        return handle.release();
    });
}

pxs_termiter *pxs_mset_matching_terms(const pxs_mset *m, uint32_t index, pxs_error **err) {
    return guarded<pxs_termiter *>(err, nullptr, [&] {
        Xapian::MSetIterator it = hit_at(m, index);
        const Xapian::Enquire &e = m->enquire;
        return new pxs_termiter(e.get_matching_terms_begin(it), e.get_matching_terms_end(it),
                                pxs_termiter::Kind::plain);
    });
}

}  // extern "C"
