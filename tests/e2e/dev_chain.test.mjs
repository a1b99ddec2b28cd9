// End-to-end test of `honeycomb dev` with a real Ethereum client (ethers v6).
//
// Starts the dev chain on a free port with a fresh data directory, drives it over HTTP and
// WebSocket JSON-RPC the way a wallet or dapp would, and checks balances, nonces, receipts,
// a minimal contract creation, block subscriptions and the error codes ethers derives from the
// node's error messages. Solidity contracts are covered by solidity.test.mjs.
// The node must shut down cleanly (exit code 0) on SIGTERM.
//
// Run: npm ci --prefix tests/e2e && node --test tests/e2e/*.test.mjs
// The binary comes from HONEYCOMB_BIN (default: build/release/honeycomb).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import {
    BASE_FEE,
    BLOCK_GAS_LIMIT,
    CHAIN_ID,
    DEV_ADDRESSES,
    DEV_KEYS,
    DevNode,
    GWEI,
    PREFUND,
    STEP_TIMEOUT_MS,
    TRANSFER_GAS,
    ethers,
    eventWaiter,
    expectEthersError,
    httpProvider,
    nodeMessage,
    waitReceipt,
    withTimeout,
    wsProvider as newWsProvider,
} from "./support.mjs";

const { Wallet, getCreateAddress, parseEther, parseUnits } = ethers;

// Tests run in order against one node; each uses its own dev accounts so that balance
// bookkeeping in one cannot be disturbed by another:
//   0-3 concurrent transfers, 4 newHeads, 5 insufficient funds, 6 contract creation,
//   7 replacement and nonces.

const coinbase = Wallet.createRandom().address;
const node = new DevNode({ coinbase });
let provider; // HTTP
let wsProvider; // WebSocket, created by the newHeads test

function wallet(i) {
    return new Wallet(DEV_KEYS[i], provider);
}

// ---------------------------------------------------------------------------------------------

before(async () => {
    await node.start();
    provider = httpProvider(node.httpUrl);
});

after(async () => {
    // Close client connections first so the node has nothing in flight, then stop it.
    if (wsProvider) await wsProvider.destroy().catch(() => {});
    if (provider) provider.destroy();
    await node.stop();
});

test("eth_chainId is 1337", { timeout: 60000 }, async () => {
    assert.equal(await provider.send("eth_chainId", []), "0x539");
    const network = await provider.getNetwork();
    assert.equal(network.chainId, CHAIN_ID);
});

test("dev accounts are listed and prefunded with 10000 ether", { timeout: 60000 }, async () => {
    for (const address of DEV_ADDRESSES) {
        assert.ok(node.stdout.includes(address), `startup output does not list ${address}`);
    }
    const genesis = await Promise.all(DEV_ADDRESSES.map((a) => provider.getBalance(a, 0)));
    const latest = await Promise.all(DEV_ADDRESSES.map((a) => provider.getBalance(a, "latest")));
    const nonces = await Promise.all(DEV_ADDRESSES.map((a) => provider.getTransactionCount(a)));
    for (let i = 0; i < DEV_ADDRESSES.length; ++i) {
        assert.equal(genesis[i], PREFUND, `genesis balance of dev account ${i}`);
        assert.equal(latest[i], PREFUND, `latest balance of dev account ${i}`);
        assert.equal(nonces[i], 0, `nonce of dev account ${i}`);
    }
    assert.equal(await provider.getBalance(Wallet.createRandom().address), 0n);
});

test("concurrent transfers from 4 wallets settle with exact balances and nonces", { timeout: 120000 }, async (t) => {
    const senders = [0, 1, 2, 3].map(wallet);
    const PER_WALLET = 5;
    // Each wallet pays with a different transaction type and fee shape, so the effective gas
    // price rule is checked for all of them.
    const feeShape = [
        {}, // whatever ethers picks from eth_feeHistory / eth_maxPriorityFeePerGas (type 2)
        { type: 2, maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: 2n * GWEI },
        { type: 1, gasPrice: 2n * GWEI, accessList: [] },
        { type: 0, gasPrice: BASE_FEE },
    ];

    const watched = new Set([...senders.map((w) => w.address), coinbase]);
    const plan = senders.map((w, i) =>
        Array.from({ length: PER_WALLET }, (_, j) => {
            // Odd transfers go to the next wallet in the ring, even ones to fresh addresses.
            const to = j % 2 ? senders[(i + 1) % senders.length].address : Wallet.createRandom().address;
            watched.add(to);
            return { to, value: parseUnits(String(1 + 10 * i + j), "finney") + BigInt(i * 1000 + j) };
        }),
    );
    const watchedList = [...watched];
    const before = new Map(
        await Promise.all(watchedList.map(async (a) => [a, await provider.getBalance(a)])),
    );
    const startNonce = await Promise.all(senders.map((w) => provider.getTransactionCount(w.address, "pending")));

    // Each wallet sends its transfers one after another without waiting for receipts (ethers
    // asks for the "pending" nonce each time); the four wallets send concurrently.
    const sent = await Promise.all(
        senders.map(async (w, i) => {
            const txs = [];
            for (const p of plan[i]) {
                const send = w.sendTransaction({ ...p, ...feeShape[i] });
                txs.push(await withTimeout(send, STEP_TIMEOUT_MS, `send from wallet ${i}`));
            }
            return txs;
        }),
    );
    for (let i = 0; i < senders.length; ++i) {
        const nonces = sent[i].map((tx) => tx.nonce);
        assert.deepEqual(
            nonces,
            Array.from({ length: PER_WALLET }, (_, j) => startNonce[i] + j),
            `wallet ${i} nonces (from eth_getTransactionCount "pending")`,
        );
    }

    const receipts = await Promise.all(
        sent.map((txs, i) => Promise.all(txs.map((tx) => waitReceipt(tx, `transfer from wallet ${i}`)))),
    );

    const expected = new Map(before);
    let fees = 0n;
    const blockBaseFee = new Map();
    for (let i = 0; i < senders.length; ++i) {
        for (let j = 0; j < PER_WALLET; ++j) {
            const tx = sent[i][j];
            const r = receipts[i][j];
            assert.equal(r.hash, tx.hash);
            assert.equal(r.from, senders[i].address);
            assert.equal(r.to, plan[i][j].to);
            assert.equal(r.gasUsed, TRANSFER_GAS, `gasUsed of ${tx.hash}`);
            assert.equal(r.contractAddress, null);
            assert.equal(r.logs.length, 0);
            // With no fee fields ethers picks type 2, seeing baseFeePerGas in the latest block.
            assert.equal(tx.type, feeShape[i].type ?? 2, `type of ${tx.hash}`);
            if (!blockBaseFee.has(r.blockNumber)) {
                blockBaseFee.set(r.blockNumber, (await provider.getBlock(r.blockNumber)).baseFeePerGas);
            }
            const baseFee = blockBaseFee.get(r.blockNumber);
            assert.equal(baseFee, BASE_FEE, `baseFeePerGas of block ${r.blockNumber}`);
            // EIP-1559: min(maxFeePerGas, baseFee + maxPriorityFeePerGas); older types: gasPrice.
            const withTip = baseFee + (tx.maxPriorityFeePerGas ?? 0n);
            const want = tx.type === 2 ? (withTip < tx.maxFeePerGas ? withTip : tx.maxFeePerGas) : tx.gasPrice;
            assert.equal(r.gasPrice, want, `effectiveGasPrice of ${tx.hash} (type ${tx.type})`);

            const mined = await provider.getTransaction(tx.hash);
            assert.equal(mined.blockNumber, r.blockNumber);
            assert.equal(mined.blockHash, r.blockHash);
            assert.equal(mined.nonce, tx.nonce);
            assert.equal(mined.value, plan[i][j].value);

            const fee = r.gasUsed * r.gasPrice;
            assert.equal(r.fee, fee);
            fees += fee;
            const from = senders[i].address;
            const to = plan[i][j].to;
            expected.set(from, expected.get(from) - plan[i][j].value - fee);
            expected.set(to, expected.get(to) + plan[i][j].value);
        }
    }
    expected.set(coinbase, expected.get(coinbase) + fees);
    const blocks = [...blockBaseFee.keys()].sort((a, b) => a - b);
    t.diagnostic(`${senders.length * PER_WALLET} transfers mined in blocks ${blocks.join(",")}`);

    for (const a of watchedList) {
        const label = `balance of ${a}${a === coinbase ? " (coinbase: all fees)" : ""}`;
        assert.equal(await provider.getBalance(a), expected.get(a), label);
    }
    for (let i = 0; i < senders.length; ++i) {
        const a = senders[i].address;
        const want = startNonce[i] + PER_WALLET;
        assert.equal(await provider.getTransactionCount(a, "latest"), want, `latest nonce of wallet ${i}`);
        assert.equal(await provider.getTransactionCount(a, "pending"), want, `pending nonce of wallet ${i}`);
    }
});

test("newHeads over WebSocket: a block event follows a transfer", { timeout: 60000 }, async () => {
    wsProvider = newWsProvider(node.wsUrl);
    assert.equal((await wsProvider.getNetwork()).chainId, CHAIN_ID);

    const seen = [];
    const { notify, waitFor } = eventWaiter();
    const onBlock = (n) => {
        seen.push(n);
        notify();
    };
    // ethers queues eth_subscribe "newHeads" a few promise steps after on() returns (hence the
    // setImmediate); the node answers one connection's requests in order, so once the
    // eth_blockNumber queued after it is answered, the subscription is in place.
    await wsProvider.on("block", onBlock);
    await new Promise((res) => setImmediate(res));
    await wsProvider.send("eth_blockNumber", []);

    const sender = wallet(4);
    const tx = await sender.sendTransaction({ to: Wallet.createRandom().address, value: parseEther("0.5") });
    const receipt = await waitReceipt(tx, "transfer");
    await waitFor(() => seen.includes(receipt.blockNumber), `a block event for block ${receipt.blockNumber}`);
    await wsProvider.off("block", onBlock);

    for (let k = 1; k < seen.length; ++k) {
        assert.equal(seen[k], seen[k - 1] + 1, `block events in order without gaps: ${seen.join(",")}`);
    }

    const block = await wsProvider.getBlock(receipt.blockNumber);
    const parent = await wsProvider.getBlock(receipt.blockNumber - 1);
    assert.ok(block, `block ${receipt.blockNumber} not found`);
    assert.equal(block.number, receipt.blockNumber);
    assert.equal(block.hash, receipt.blockHash);
    assert.match(block.hash, /^0x[0-9a-f]{64}$/);
    assert.equal(block.parentHash, parent.hash);
    assert.ok(block.transactions.includes(tx.hash), `block ${block.number} lists ${tx.hash}`);
    assert.ok(block.timestamp >= parent.timestamp, "timestamps do not go backwards");
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs(block.timestamp - now) < 3600, `timestamp ${block.timestamp} near now ${now}`);
    assert.equal(block.gasLimit, BLOCK_GAS_LIMIT);
    assert.ok(block.gasUsed >= TRANSFER_GAS && block.gasUsed <= block.gasLimit, `gasUsed ${block.gasUsed}`);
    assert.equal(block.gasUsed, TRANSFER_GAS * BigInt(block.transactions.length), "gasUsed of a block of transfers");
    assert.equal(block.baseFeePerGas, BASE_FEE);
    assert.equal(block.miner, coinbase);
    // The same block over HTTP.
    const viaHttp = await provider.getBlock(block.hash);
    assert.equal(viaHttp.number, block.number);
    assert.deepEqual(viaHttp.transactions, block.transactions);
});

test("insufficient funds reaches ethers as INSUFFICIENT_FUNDS", { timeout: 60000 }, async () => {
    const poor = Wallet.createRandom().connect(provider);
    const funding = await wallet(5).sendTransaction({ to: poor.address, value: parseEther("0.001") });
    await waitReceipt(funding, "funding");
    const balance = await provider.getBalance(poor.address);
    assert.equal(balance, parseEther("0.001"));

    // Explicit gasLimit: ethers skips eth_estimateGas, so the node's eth_sendRawTransaction
    // refuses it (value covers the balance, the fee does not).
    const raw = await expectEthersError(
        poor.sendTransaction({ to: Wallet.createRandom().address, value: balance, gasLimit: TRANSFER_GAS }),
        "INSUFFICIENT_FUNDS",
        "sending the whole balance with a fee on top (eth_sendRawTransaction)",
    );
    assert.match(nodeMessage(raw), /insufficient funds/i);
    assert.match(String(raw.transaction), /^0x02/, "the refused request is the signed raw type-2 transaction");

    // No gasLimit: ethers asks eth_estimateGas first, which must refuse the same way.
    const est = await expectEthersError(
        poor.sendTransaction({ to: Wallet.createRandom().address, value: 2n * balance }),
        "INSUFFICIENT_FUNDS",
        "sending twice the balance (eth_estimateGas)",
    );
    assert.equal(est.info?.payload?.method, "eth_estimateGas");
    assert.match(nodeMessage(est), /insufficient funds/i);

    assert.equal(await provider.getBalance(poor.address), balance, "refused transfers cost nothing");
    assert.equal(await provider.getTransactionCount(poor.address, "pending"), 0);

    // Exactly the balance, fee included, is spendable: the account ends at zero.
    const drain = await poor.sendTransaction({
        to: Wallet.createRandom().address,
        type: 0,
        gasPrice: BASE_FEE,
        gasLimit: TRANSFER_GAS,
        value: balance - TRANSFER_GAS * BASE_FEE,
    });
    await waitReceipt(drain, "draining transfer");
    assert.equal(await provider.getBalance(poor.address), 0n);
    assert.equal(await provider.getTransactionCount(poor.address), 1);
});

test("a minimal contract creation succeeds with a receipt and contractAddress", { timeout: 60000 }, async () => {
    const deployer = wallet(6);
    // Init code that copies 10 bytes of runtime code to memory and returns them; the runtime
    // code returns 42 as one 32-byte word.
    const runtime = "0x602a60005260206000f3";
    const initcode = "0x600a600c600039600a6000f3" + runtime.slice(2);
    const nonce = await provider.getTransactionCount(deployer.address, "pending");
    const tx = await withTimeout(deployer.sendTransaction({ data: initcode }), STEP_TIMEOUT_MS, "contract creation");
    assert.equal(tx.to, null);
    const receipt = await waitReceipt(tx, "contract creation");
    const created = getCreateAddress({ from: deployer.address, nonce });
    assert.equal(receipt.contractAddress, created, "contractAddress is keccak256(rlp([sender, nonce]))[12:]");
    assert.equal(receipt.to, null);
    assert.equal(await provider.getCode(created), runtime);
    assert.equal(await provider.call({ to: created }), "0x" + "2a".padStart(64, "0"));
    assert.equal(await provider.getTransactionCount(deployer.address), nonce + 1);
    assert.equal(await provider.getBalance(deployer.address), PREFUND - receipt.fee, "only the fee is charged");
});

test("nonce gap, REPLACEMENT_UNDERPRICED, replacement and NONCE_EXPIRED", { timeout: 60000 }, async () => {
    const w = wallet(7);
    const n = await provider.getTransactionCount(w.address, "pending");
    const fees = { type: 2, gasLimit: TRANSFER_GAS, maxFeePerGas: 2n * GWEI, maxPriorityFeePerGas: 1n * GWEI };
    const x = Wallet.createRandom().address;
    const y = Wallet.createRandom().address;
    const z = Wallet.createRandom().address;

    // Nonce n+1 with n missing: held back in the pool.
    const queued = await w.sendTransaction({ ...fees, to: x, value: 1n, nonce: n + 1 });
    assert.equal(
        await provider.getTransactionCount(w.address, "pending"),
        n,
        "a gapped transaction does not advance the pending nonce",
    );

    const same = await expectEthersError(
        w.sendTransaction({ ...fees, to: y, value: 2n, nonce: n + 1 }),
        "REPLACEMENT_UNDERPRICED",
        "replacing at the same fee",
    );
    assert.match(nodeMessage(same), /replacement transaction underpriced/);
    await expectEthersError(
        w.sendTransaction({
            ...fees,
            to: y,
            value: 2n,
            nonce: n + 1,
            maxFeePerGas: (21n * GWEI) / 10n,
            maxPriorityFeePerGas: (105n * GWEI) / 100n,
        }),
        "REPLACEMENT_UNDERPRICED",
        "replacing with a 5% bump (10% needed)",
    );

    const replacement = await w.sendTransaction({
        ...fees,
        to: y,
        value: 2n,
        nonce: n + 1,
        maxFeePerGas: 3n * GWEI,
        maxPriorityFeePerGas: 2n * GWEI,
    });
    const filler = await w.sendTransaction({ ...fees, to: z, value: 3n, nonce: n });
    const [rFill, rRepl] = await Promise.all([
        waitReceipt(filler, "gap filler"),
        waitReceipt(replacement, "replacement"),
    ]);
    assert.ok(rFill.blockNumber <= rRepl.blockNumber);
    assert.equal(await provider.getTransactionReceipt(queued.hash), null, "the replaced transaction is never mined");
    assert.equal(await provider.getBalance(x), 0n);
    assert.equal(await provider.getBalance(y), 2n);
    assert.equal(await provider.getBalance(z), 3n);
    assert.equal(await provider.getTransactionCount(w.address, "latest"), n + 2);
    assert.equal(await provider.getTransactionCount(w.address, "pending"), n + 2);
    assert.equal(rRepl.gasPrice, BASE_FEE + 2n * GWEI);

    const stale = await expectEthersError(
        w.sendTransaction({ ...fees, to: z, value: 4n, nonce: n }),
        "NONCE_EXPIRED",
        "reusing a mined nonce",
    );
    assert.match(nodeMessage(stale), /nonce too low/);
});
