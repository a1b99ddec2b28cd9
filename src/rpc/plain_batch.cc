#include "rpc/plain_batch.h"

#include <cstdint>
#include <string>

namespace hc::rpc {

namespace {

using nlohmann::json;

// A cursor over the body; every read fails (returns false) rather than guess, and a failure
// anywhere sends the whole body to the general parser.
class Reader {
  public:
    explicit Reader(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

    void skip_space() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
    }
    bool at_end() const { return p_ == end_; }
    bool take(char c) {
        skip_space();
        if (p_ == end_ || *p_ != c) return false;
        ++p_;
        return true;
    }
    bool peek(char c) {
        skip_space();
        return p_ < end_ && *p_ == c;
    }

    // A string of printable ASCII without escapes.
    bool string(std::string& out) {
        if (!take('"')) return false;
        const char* start = p_;
        while (p_ < end_ && *p_ != '"') {
            const auto c = static_cast<unsigned char>(*p_);
            if (c < 0x20 || c > 0x7e || c == '\\') return false;
            ++p_;
        }
        if (p_ == end_) return false;
        out.assign(start, p_);
        ++p_;
        return true;
    }

    // A string, an unsigned integer, true, false or null.
    bool scalar(json& out) {
        skip_space();
        if (p_ == end_) return false;
        if (*p_ == '"') {
            std::string s;
            if (!string(s)) return false;
            out = std::move(s);
            return true;
        }
        if (*p_ >= '0' && *p_ <= '9') return unsigned_integer(out);
        if (word("true")) {
            out = true;
            return true;
        }
        if (word("false")) {
            out = false;
            return true;
        }
        if (word("null")) {
            out = nullptr;
            return true;
        }
        return false;
    }

    // A scalar, or an array of scalars.
    bool value(json& out) {
        if (!peek('[')) return scalar(out);
        ++p_;
        out = json::array();
        if (take(']')) return true;
        do {
            json item;
            if (!scalar(item)) return false;
            out.push_back(std::move(item));
        } while (take(','));
        return take(']');
    }

  private:
    // 0, or 1-9 then at most 18 digits: below 10^19, so it fits in 64 bits. Anything that makes
    // it another number (a fraction, an exponent, a leading zero, more digits) is refused.
    bool unsigned_integer(json& out) {
        const char* start = p_;
        uint64_t v = 0;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
            v = v * 10 + static_cast<uint64_t>(*p_ - '0');
            ++p_;
        }
        const size_t digits = static_cast<size_t>(p_ - start);
        if (digits > 19 || (digits > 1 && *start == '0')) return false;
        if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
        out = v;
        return true;
    }
    bool word(std::string_view w) {
        if (static_cast<size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w)
            return false;
        p_ += w.size();
        return true;
    }

    const char* p_;
    const char* end_;
};

}  // namespace

std::optional<json> parse_plain_batch(std::string_view body, size_t max_depth) {
    if (max_depth < 3) return std::nullopt;  // array > object > params array
    Reader r(body);
    if (!r.take('[')) return std::nullopt;
    json root = json::array();
    do {
        if (!r.take('{')) return std::nullopt;
        json request = json::object();
        if (!r.take('}')) {
            do {
                std::string key;
                json v;
                if (!r.string(key) || !r.take(':') || !r.value(v)) return std::nullopt;
                request[std::move(key)] = std::move(v);  // a repeated key: the last wins
            } while (r.take(','));
            if (!r.take('}')) return std::nullopt;
        }
        root.push_back(std::move(request));
    } while (r.take(','));
    if (!r.take(']')) return std::nullopt;
    r.skip_space();
    if (!r.at_end()) return std::nullopt;
    return root;
}

}  // namespace hc::rpc
