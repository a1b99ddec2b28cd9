#include "common/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hc {

namespace {

Error io_error(const std::string& what, const std::filesystem::path& path, int err) {
    return make_error(Errc::io, what + " " + path.string() + ": " + std::strerror(err));
}

// Closes fd on every path out.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Status write_all(int fd, BytesView data, const std::filesystem::path& path) {
    size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error("cannot write", path, errno);
        }
        done += static_cast<size_t>(n);
    }
    return {};
}

}  // namespace

Status write_file_durably(const std::filesystem::path& path, BytesView content, unsigned mode) {
    const std::filesystem::path tmp = path.string() + ".tmp";
    ::unlink(tmp.c_str());  // a leftover from a crash may have other permissions
    {
        Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)};
        if (f.fd < 0) return io_error("cannot create", tmp, errno);
        // The umask can only remove bits; set the mode explicitly so the intent is plain.
        Status written = ::fchmod(f.fd, mode) == 0 ? write_all(f.fd, content, tmp)
                                                   : Status(io_error("cannot chmod", tmp, errno));
        if (written && ::fsync(f.fd) != 0) written = io_error("cannot sync", tmp, errno);
        if (!written) {
            ::unlink(tmp.c_str());
            return written;
        }
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        Error e = io_error("cannot replace", path, errno);
        ::unlink(tmp.c_str());
        return e;
    }
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (d.fd < 0) return io_error("cannot open directory", dir, errno);
    if (::fsync(d.fd) != 0) return io_error("cannot sync directory", dir, errno);
    return {};
}

Result<std::optional<Bytes>> read_file(const std::filesystem::path& path, size_t max_size) {
    Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0) {
        if (errno == ENOENT) return std::optional<Bytes>{};
        return io_error("cannot open", path, errno);
    }
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) return io_error("cannot stat", path, errno);
    if (static_cast<uint64_t>(st.st_size) > max_size)
        return make_error(Errc::invalid_argument,
                          path.string() + " is " + std::to_string(st.st_size) +
                              " bytes, more than the " + std::to_string(max_size) + " allowed");
    Bytes out(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::read(f.fd, out.data() + done, out.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return io_error("cannot read", path, errno);
        }
        if (n == 0) break;  // shrank meanwhile
        done += static_cast<size_t>(n);
    }
    out.resize(done);
    return std::optional<Bytes>(std::move(out));
}

}  // namespace hc
