#include "crypto/hash.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace hc::crypto {

namespace {

// Fetching an EVP_MD walks the provider tables under a lock; doing it once per process and
// keeping the pointer for the process lifetime (it is never freed on purpose) keeps that off
// the per-call path.
EVP_MD* fetch_or_die(const char* name) noexcept {
    EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
    if (md == nullptr) {
        std::fprintf(stderr, "fatal: OpenSSL provides no %s digest\n", name);
        std::abort();
    }
    return md;
}

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* new_ctx_or_die() noexcept {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (ctx == nullptr) {
        std::fprintf(stderr, "fatal: out of memory creating a digest context\n");
        std::abort();
    }
    return ctx;
}

// Each algorithm keeps one context per thread: EVP_Digest() would allocate and free a context
// (and the provider state behind it) on every call, which costs as much as hashing a short
// input. Reinitialising a context with the digest it already holds reuses that state.
template <size_t N>
FixedBytes<N> hash_with(const EVP_MD* md, EVP_MD_CTX* ctx, BytesView data) noexcept {
    FixedBytes<N> out;
    unsigned int len = 0;
    if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != N) {
        // Only reachable when OpenSSL cannot allocate.
        std::fprintf(stderr, "fatal: OpenSSL %s digest failed\n", EVP_MD_get0_name(md));
        std::abort();
    }
    return out;
}

}  // namespace

Hash32 sha256(BytesView data) noexcept {
    static const EVP_MD* md = fetch_or_die("SHA2-256");
    thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(new_ctx_or_die());
    return hash_with<32>(md, ctx.get(), data);
}

FixedBytes<20> ripemd160(BytesView data) noexcept {
    static const EVP_MD* md = fetch_or_die("RIPEMD-160");
    thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(new_ctx_or_die());
    return hash_with<20>(md, ctx.get(), data);
}

Hash32 sm3(BytesView data) noexcept {
    static const EVP_MD* md = fetch_or_die("SM3");
    thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(new_ctx_or_die());
    return hash_with<32>(md, ctx.get(), data);
}

}  // namespace hc::crypto
