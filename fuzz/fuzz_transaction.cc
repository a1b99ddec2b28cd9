// Transaction decoding must never crash; an accepted transaction must re-encode canonically
// and survive validation (which recovers the sender) without crashing.
#include <cstdlib>

#include "ledger/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    hc::BytesView in(data, size);
    auto tx = hc::decode_transaction(in);
    if (!tx) return 0;
    if (hc::encode_transaction(*tx) != hc::Bytes(in.begin(), in.end())) std::abort();
    (void)hc::validate_transaction(*tx, 1);
    (void)hc::transaction_hash(*tx);
    return 0;
}
