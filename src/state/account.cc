#include "state/account.h"

#include "codec/rlp.h"
#include "common/keccak.h"

namespace hc::state {

const Hash32 kEmptyCodeHash = keccak256(BytesView{});

Bytes encode_account(const Account& account, const Hash32& storage_root) {
    rlp::Encoder e;
    e.begin_list()
        .add(account.nonce)
        .add(account.balance)
        .add(storage_root.view())
        .add(account.code_hash.view())
        .end_list();
    return e.take();
}

namespace {
Error account_error(const std::string& message) {
    return make_error(Errc::decode, "account: " + message);
}
}  // namespace

Result<StoredAccount> decode_account(BytesView raw) {
    auto list = rlp::decode_list(raw, 4, 1);
    if (!list) return account_error(list.error().message);
    StoredAccount out;
    HC_TRY(rlp::read_field(list->next_uint64(), "account", "nonce", out.account.nonce));
    HC_TRY(rlp::read_field(list->next_uint256(), "account", "balance", out.account.balance));
    BytesView root, code_hash;
    HC_TRY(rlp::read_field(list->next_string(), "account", "storageRoot", root));
    HC_TRY(rlp::read_field(list->next_string(), "account", "codeHash", code_hash));
    auto r = Hash32::from_view(root);
    auto c = Hash32::from_view(code_hash);
    if (!r || !c) return account_error("storageRoot and codeHash must be 32 bytes");
    out.storage_root = *r;
    out.account.code_hash = *c;
    return out;
}

}  // namespace hc::state
