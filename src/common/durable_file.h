// Small files that must survive a crash whole: the consensus safety state (written before every
// vote), node keys. A write either leaves the old content or the new one, never a mix, and is on
// disk when it returns.
#pragma once

#include <filesystem>
#include <optional>

#include "common/bytes.h"
#include "common/error.h"

namespace hc {

// Writes content to a temporary file beside path, fsyncs it, renames it over path and fsyncs the
// directory (so the rename itself survives a power cut). mode applies to a newly created file.
Status write_file_durably(const std::filesystem::path& path, BytesView content,
                          unsigned mode = 0600);

// The file's content, nullopt if it does not exist. Files over max_size are an error.
Result<std::optional<Bytes>> read_file(const std::filesystem::path& path,
                                       size_t max_size = 16 << 20);

}  // namespace hc
