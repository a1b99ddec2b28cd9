// Errors as values: every expected failure is an Error with a code a program can branch on and a
// message a person can act on. Result<T> holds either a T or an Error; Status is Result<void>.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hc {

enum class Errc {
    invalid_argument,   // the caller passed something malformed (bad hex, wrong length, ...)
    decode,             // bytes that do not decode (RLP, transaction, certificate, ...)
    unsupported,        // well-formed but not supported here (e.g. a transaction type)
    crypto,             // a signature, key or certificate check failed
    permission_denied,  // the consortium's membership or policies do not allow it
    not_found,
    io,
    internal,
};

const char* errc_name(Errc code) noexcept;

struct Error {
    Errc code;
    std::string message;

    // "decode: RLP string length has leading zero bytes"
    std::string to_string() const { return std::string(errc_name(code)) + ": " + message; }
    bool operator==(const Error&) const = default;
};

template <typename T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
    Result(Error error) : v_(std::move(error)) {}

    bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    // REQUIRES: ok()
    T& value() & {
        assert(ok());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    // REQUIRES: !ok()
    const Error& error() const {
        assert(!ok());
        return std::get<1>(v_);
    }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}

    bool ok() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }
    // REQUIRES: !ok()
    const Error& error() const {
        assert(!ok_);
        return error_;
    }

  private:
    Error error_{Errc::internal, {}};
    bool ok_ = true;
};

using Status = Result<void>;

inline Error make_error(Errc code, std::string message) {
    return Error{code, std::move(message)};
}

}  // namespace hc

// Propagates an error from an expression yielding Result/Status.
#define HC_TRY(expr)                                        \
    do {                                                    \
        auto&& hc_try_result_ = (expr);                     \
        if (!hc_try_result_) return hc_try_result_.error(); \
    } while (0)

#define HC_CONCAT_INNER(a, b) a##b
#define HC_CONCAT(a, b) HC_CONCAT_INNER(a, b)
// HC_ASSIGN_OR_RETURN(auto x, expr): binds the value or returns the error.
#define HC_ASSIGN_OR_RETURN(decl, expr)                                             \
    auto HC_CONCAT(hc_aor_, __LINE__) = (expr);                                     \
    if (!HC_CONCAT(hc_aor_, __LINE__)) return HC_CONCAT(hc_aor_, __LINE__).error(); \
    decl = std::move(HC_CONCAT(hc_aor_, __LINE__)).value()
