#include "node/dev_accounts.h"

#include <gtest/gtest.h>

#include "crypto/secp256k1.h"

namespace hc::node {
namespace {

// Each listed address must be the one its key controls, checksum included: a typo here would
// fund an account nobody can spend from.
TEST(DevAccounts, AddressesBelongToTheirKeys) {
    for (const DevAccount& a : kDevAccounts) {
        auto key = Hash32::from_hex(a.private_key);
        ASSERT_TRUE(key) << a.private_key;
        auto derived = crypto::secp256k1_address(*key);
        ASSERT_TRUE(derived);
        EXPECT_EQ(to_checksum_address(*derived), a.address);
    }
}

}  // namespace
}  // namespace hc::node
