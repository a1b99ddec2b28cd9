// End-to-end test of Solidity contracts on `honeycomb dev` (ethers v6, solc-js).
//
// Compiles tests/e2e/contracts/*.sol (an OpenZeppelin ERC20 and ERC721 and our own Hive, which
// uses events, require reasons, custom errors, CREATE2 and payable functions) with the pinned
// solc-js, deploys them to a fresh dev chain and checks what a dapp relies on: deployment
// receipts and CREATE / CREATE2 addresses, token transfers and balances, logs through
// eth_getLogs and a WebSocket subscription, revert reasons and custom errors decoded by ethers,
// eth_estimateGas against gasUsed, eth_call at an older block, and ETH held by a contract.
//
// Run: npm ci --prefix tests/e2e && node --test tests/e2e/*.test.mjs
// The binary comes from HONEYCOMB_BIN (default: build/release/honeycomb).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { compileContracts, SOLC_VERSION } from "./compile.mjs";
import {
    DEV_KEYS,
    DevNode,
    STEP_TIMEOUT_MS,
    ethers,
    eventWaiter,
    expectEthersError,
    httpProvider,
    nodeMessage,
    waitReceipt,
    withTimeout,
    wsProvider as newWsProvider,
} from "./support.mjs";

const {
    AbiCoder,
    Contract,
    ContractFactory,
    Wallet,
    ZeroAddress,
    concat,
    getCreate2Address,
    getCreateAddress,
    id,
    keccak256,
    parseEther,
    parseUnits,
    toBeHex,
    zeroPadValue,
} = ethers;

// Tests run in order against one node and build on the contracts the deployment test creates.
// Dev accounts: 0 deployer (holds the token supply, keeper of Hive), 1 alice and 2 bob (token
// holders), 3 carol (WebSocket events), 4 payable deposits, 5 reverts, 6 storage and CREATE2.

const SUPPLY = parseUnits("1000000", 18);
const TRANSFER_TOPIC = id("Transfer(address,address,uint256)"); // ERC20 and ERC721 alike

const node = new DevNode({ coinbase: Wallet.createRandom().address });
let provider; // HTTP
let ws; // WebSocket, created by the subscription test
let artifacts; // contract name -> { abi, bytecode, deployedBytecode }
const deployed = {}; // contract name -> { contract, receipt }
const estimates = []; // { what, estimate, gasUsed }, for the summary line
let compileNote; // printed by the first test (hooks have no diagnostics)

function wallet(i) {
    return new Wallet(DEV_KEYS[i], provider);
}

function contract(name, runner = provider) {
    const d = deployed[name];
    assert.ok(d, `${name} was not deployed (see the deployment test)`);
    return d.contract.connect(runner);
}

// JSON for messages, bigints included.
function show(value) {
    return JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

// A raw JSON-RPC request over HTTP: the exact error object the node answers with, which ethers
// turns into its own error shapes.
async function rpc(method, params) {
    const res = await withTimeout(
        fetch(node.httpUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
        }),
        STEP_TIMEOUT_MS,
        method,
    );
    assert.equal(res.status, 200, `${method}: HTTP status`);
    return res.json();
}

// Expects a JSON-RPC revert from eth_call / eth_estimateGas: code 3, "execution reverted"
// (with ": <reason>" for a reason string) and the revert data.
function assertRevertError(response, { message, data }, what) {
    assert.ok(response.error, `${what}: expected an error, got ${JSON.stringify(response)}`);
    assert.equal(response.error.code, 3, `${what}: error code (${JSON.stringify(response.error)})`);
    assert.equal(response.error.message, message, `${what}: error message`);
    assert.equal(response.error.data, data, `${what}: error data (the revert bytes)`);
}

// Estimates `request`, sends it with exactly the estimate as its gas limit and expects it to
// succeed with gasUsed <= estimate <= 1.5 * gasUsed.
async function sendWithEstimate(signer, request, what) {
    const estimate = await withTimeout(signer.estimateGas(request), STEP_TIMEOUT_MS, `eth_estimateGas for ${what}`);
    const tx = await withTimeout(
        signer.sendTransaction({ ...request, gasLimit: estimate }),
        STEP_TIMEOUT_MS,
        `sending ${what}`,
    );
    let receipt;
    try {
        receipt = await waitReceipt(tx, what);
    } catch (e) {
        if (e?.receipt) {
            assert.fail(
                `${what}: sent with gasLimit = eth_estimateGas (${estimate}) it failed ` +
                    `(status ${e.receipt.status}, gasUsed ${e.receipt.gasUsed}): the estimate is not enough`,
            );
        }
        throw e;
    }
    assert.ok(receipt.gasUsed <= estimate, `${what}: gasUsed ${receipt.gasUsed} > gasLimit ${estimate}`);
    assert.ok(
        estimate * 2n <= receipt.gasUsed * 3n,
        `${what}: eth_estimateGas ${estimate} is more than 1.5 x gasUsed ${receipt.gasUsed}`,
    );
    estimates.push({ what, estimate, gasUsed: receipt.gasUsed });
    return { tx, receipt, estimate };
}

// Expects `code` (from eth_getCode) to be solc's runtime code for `artifact`, with the
// immutables the constructor filled in: each immutable range holds one of `immutables`
// (addresses or integers, as 32-byte words), and every one of them appears.
function assertRuntimeCode(code, artifact, immutables, what) {
    const expected = artifact.deployedBytecode;
    assert.equal(code.length, expected.length, `${what}: runtime code length`);
    const words = immutables.map((v) => zeroPadValue(toBeHex(v), 32).toLowerCase());
    let masked = code.toLowerCase();
    const seen = new Set();
    for (const { start, length } of artifact.immutableRanges) {
        const [from, to] = [2 + 2 * start, 2 + 2 * (start + length)];
        const word = "0x" + masked.slice(from, to);
        assert.ok(words.includes(word), `${what}: immutable at byte ${start} is ${word}, expected one of ${words}`);
        seen.add(word);
        masked = masked.slice(0, from) + "0".repeat(to - from) + masked.slice(to);
    }
    assert.equal(seen.size, words.length, `${what}: every immutable is in the code`);
    assert.equal(masked, expected.toLowerCase(), `${what}: runtime code is solc's deployedBytecode`);
}

// The one log of `receipt` that `iface` parses as `eventName`.
function eventOf(receipt, iface, eventName) {
    const parsed = receipt.logs.map((l) => iface.parseLog(l)).filter((p) => p?.name === eventName);
    assert.equal(parsed.length, 1, `one ${eventName} event in ${receipt.hash}`);
    return parsed[0];
}

// ---------------------------------------------------------------------------------------------

before(async () => {
    const started = Date.now();
    const compiled = compileContracts();
    artifacts = compiled.contracts;
    assert.ok(compiled.version.startsWith(`${SOLC_VERSION}+`), `solc version ${compiled.version}`);
    assert.deepEqual(compiled.warnings, [], "the contracts compile without warnings");
    compileNote = `solc ${compiled.version} compiled ${Object.keys(artifacts).join(", ")} in ${Date.now() - started} ms`;
    await node.start();
    provider = httpProvider(node.httpUrl);
});

after(async () => {
    if (ws) await ws.destroy().catch(() => {});
    if (provider) provider.destroy();
    await node.stop();
});

test("deployments: receipts, CREATE addresses, code and exact gas estimates", { timeout: 60000 }, async (t) => {
    t.diagnostic(compileNote);
    const deployer = wallet(0);
    for (const [name, args] of [
        ["Token", [SUPPLY]],
        ["Collectible", []],
        ["Hive", []],
    ]) {
        const a = artifacts[name];
        assert.ok(a && a.bytecode.length > 2, `${name} compiled to init code`);
        const factory = new ContractFactory(a.abi, a.bytecode, deployer);
        const request = await factory.getDeployTransaction(...args);
        const nonce = await provider.getTransactionCount(deployer.address, "pending");
        const { tx, receipt } = await sendWithEstimate(deployer, request, `deploying ${name}`);
        assert.equal(tx.nonce, nonce);
        assert.equal(tx.to, null);
        assert.equal(receipt.to, null);
        const address = getCreateAddress({ from: deployer.address, nonce });
        assert.equal(receipt.contractAddress, address, `${name}: contractAddress is the CREATE address`);

        const code = await provider.getCode(address);
        assert.notEqual(code, "0x", `${name}: eth_getCode at ${address}`);
        assertRuntimeCode(code, a, name === "Hive" ? [deployer.address] : [], name);
        assert.equal(await provider.getCode(address, receipt.blockNumber - 1), "0x", `${name}: no code before`);
        deployed[name] = { contract: new Contract(address, a.abi, provider), receipt };
    }
    const hive = contract("Hive");
    assert.equal(await hive.keeper(), deployer.address);
    assert.equal(await provider.getTransactionCount(contract("Hive").target), 1, "a new contract's nonce is 1");
});

test("ERC20: transfers, balances, totalSupply and eth_call at an older block", { timeout: 60000 }, async (t) => {
    const [deployer, alice, bob] = [wallet(0), wallet(1), wallet(2)];
    const token = contract("Token", deployer);
    const deployBlock = deployed.Token.receipt.blockNumber;
    assert.equal(await token.name(), "Honey");
    assert.equal(await token.symbol(), "HNY");
    assert.equal(await token.decimals(), 18n);
    assert.equal(await token.totalSupply(), SUPPLY);
    assert.equal(await token.balanceOf(deployer.address), SUPPLY);
    assert.equal(await token.balanceOf(alice.address), 0n);

    const toAlice = parseUnits("1000", 18);
    const { receipt: r1 } = await sendWithEstimate(
        deployer,
        await token.transfer.populateTransaction(alice.address, toAlice),
        "ERC20 transfer",
    );
    const transfer = eventOf(r1, token.interface, "Transfer");
    assert.deepEqual([...transfer.args], [deployer.address, alice.address, toAlice]);

    // alice -> bob through the contract method (ethers estimates the gas itself).
    const toBob = parseUnits("250", 18);
    const r2 = await waitReceipt(await token.connect(alice).transfer(bob.address, toBob), "ERC20 transfer to bob");

    assert.equal(await token.balanceOf(deployer.address), SUPPLY - toAlice);
    assert.equal(await token.balanceOf(alice.address), toAlice - toBob);
    assert.equal(await token.balanceOf(bob.address), toBob);
    assert.equal(await token.totalSupply(), SUPPLY, "transfers keep the supply");

    // eth_call against older state.
    const at = (blockTag) => token.balanceOf(alice.address, { blockTag });
    assert.equal(await at(r1.blockNumber - 1), 0n, "alice's balance before the first transfer");
    assert.equal(await at(r1.blockNumber), toAlice, "alice's balance after the first transfer");
    assert.equal(await at(r2.blockNumber - 1), toAlice, "alice's balance before paying bob");
    assert.equal(await at("latest"), toAlice - toBob);
    assert.equal(await token.totalSupply({ blockTag: deployBlock }), SUPPLY);
    const totalSupplyCall = { to: token.target, data: token.interface.encodeFunctionData("totalSupply") };
    assert.equal(
        await provider.call({ ...totalSupplyCall, blockTag: deployBlock - 1 }),
        "0x",
        "a call to the token's address before it was deployed returns nothing",
    );

    // OpenZeppelin 5 reverts with custom errors: decoded by ethers from eth_call.
    const tooMuch = toBob + 1n;
    const e = await expectEthersError(
        token.connect(bob).transfer.staticCall(alice.address, tooMuch),
        "CALL_EXCEPTION",
        "transferring more than the balance (eth_call)",
    );
    assert.equal(e.revert?.name, "ERC20InsufficientBalance", `revert ${show(e.revert)}`);
    assert.deepEqual([...e.revert.args], [bob.address, toBob, tooMuch]);
    t.diagnostic(`transfers in blocks ${r1.blockNumber} and ${r2.blockNumber}`);
});

test("ERC721: mint, transferFrom, ownerOf", { timeout: 60000 }, async () => {
    const [alice, bob] = [wallet(1), wallet(2)];
    const nft = contract("Collectible", alice);
    assert.equal(await nft.name(), "Honeycomb Cell");
    assert.equal(await nft.symbol(), "CELL");

    const minted = await waitReceipt(await nft.mint(alice.address), "ERC721 mint");
    const mint = eventOf(minted, nft.interface, "Transfer");
    assert.deepEqual([...mint.args], [ZeroAddress, alice.address, 1n]);
    assert.equal(await nft.ownerOf(1n), alice.address);
    assert.equal(await nft.balanceOf(alice.address), 1n);
    assert.equal(await nft.minted(), 1n);

    const moved = await waitReceipt(await nft.transferFrom(alice.address, bob.address, 1n), "ERC721 transferFrom");
    assert.deepEqual([...eventOf(moved, nft.interface, "Transfer").args], [alice.address, bob.address, 1n]);
    assert.equal(await nft.ownerOf(1n), bob.address);
    assert.equal(await nft.balanceOf(alice.address), 0n);
    assert.equal(await nft.balanceOf(bob.address), 1n);
    assert.equal(await nft.ownerOf(1n, { blockTag: moved.blockNumber - 1 }), alice.address, "owner before the move");

    // alice no longer owns it: sending is refused at estimation with OpenZeppelin's custom error.
    const refused = await expectEthersError(
        nft.transferFrom(bob.address, alice.address, 1n),
        "CALL_EXCEPTION",
        "transferFrom without approval",
    );
    assert.equal(refused.info?.payload?.method, "eth_estimateGas");
    const parsed = nft.interface.parseError(refused.data);
    assert.equal(parsed?.name, "ERC721InsufficientApproval", `revert data ${refused.data}`);
    assert.deepEqual([...parsed.args], [alice.address, 1n]);

    const missing = await expectEthersError(nft.ownerOf(99n), "CALL_EXCEPTION", "ownerOf a token never minted");
    assert.equal(missing.revert?.name, "ERC721NonexistentToken");
    assert.deepEqual([...missing.revert.args], [99n]);
});

test("eth_getLogs: Transfer events by address and topics, decoded by ethers", { timeout: 60000 }, async () => {
    const [deployer, alice, bob] = [wallet(0), wallet(1), wallet(2)];
    const token = contract("Token");
    const nft = contract("Collectible");
    const from = deployed.Token.receipt.blockNumber;
    const to = await provider.getBlockNumber();

    // Token: the mint in the constructor, deployer -> alice, alice -> bob.
    const all = await token.queryFilter(token.filters.Transfer(), from, to);
    assert.deepEqual(
        all.map((e) => [...e.args]),
        [
            [ZeroAddress, deployer.address, SUPPLY],
            [deployer.address, alice.address, parseUnits("1000", 18)],
            [alice.address, bob.address, parseUnits("250", 18)],
        ],
    );
    assert.equal(all[0].transactionHash, deployed.Token.receipt.hash, "the mint is logged by the deployment");
    for (const e of all) {
        assert.equal(e.eventName, "Transfer");
        assert.equal(e.address, token.target);
        const receipt = await provider.getTransactionReceipt(e.transactionHash);
        const same = receipt.logs.find((l) => l.index === e.index);
        assert.ok(same, `log ${e.index} of ${e.transactionHash} is in its receipt`);
        assert.equal(same.blockHash, e.blockHash);
        assert.deepEqual(same.topics, e.topics);
        assert.equal(same.data, e.data);
    }

    const toBob = await token.queryFilter(token.filters.Transfer(null, bob.address), from, to);
    assert.equal(toBob.length, 1, "Transfer(null, bob)");
    assert.equal(toBob[0].args.value, parseUnits("250", 18));
    const fromDeployer = await token.queryFilter(token.filters.Transfer(deployer.address), from, to);
    assert.deepEqual(fromDeployer.map((e) => e.args.to), [alice.address]);

    // Raw topics across both contracts: ERC20 and ERC721 share the Transfer topic; ERC721
    // indexes the token id too (4 topics, no data), ERC20 does not (3 topics, 32 bytes of data).
    const bobTopic = zeroPadValue(bob.address, 32);
    const logs = await provider.getLogs({ fromBlock: from, toBlock: to, topics: [TRANSFER_TOPIC, null, bobTopic] });
    assert.deepEqual(
        logs.map((l) => [l.address, l.topics.length, (l.data.length - 2) / 2]),
        [
            [token.target, 3, 32],
            [nft.target, 4, 0],
        ],
        "Transfer logs to bob from both contracts",
    );
    assert.equal(logs[1].topics[3], toBeHex(1n, 32), "the token id is the fourth topic");
    const both = await provider.getLogs({
        fromBlock: from,
        toBlock: to,
        address: [token.target, nft.target],
        topics: [[TRANSFER_TOPIC, id("Approval(address,address,uint256)")]],
    });
    assert.equal(both.length, 5, "3 token and 2 NFT Transfer logs, no Approval logs");
    for (let k = 1; k < both.length; ++k) {
        const [p, q] = [both[k - 1], both[k]];
        assert.ok(p.blockNumber < q.blockNumber || (p.blockNumber === q.blockNumber && p.index < q.index), "logs in order");
    }

    const nftLogs = await nft.queryFilter(nft.filters.Transfer(null, null, 1n), from, to);
    assert.deepEqual(
        nftLogs.map((e) => [...e.args]),
        [
            [ZeroAddress, alice.address, 1n],
            [alice.address, bob.address, 1n],
        ],
    );
    const byHash = await provider.getLogs({ blockHash: nftLogs[1].blockHash, address: nft.target });
    assert.deepEqual(byHash.map((l) => l.transactionHash), [nftLogs[1].transactionHash], "eth_getLogs by blockHash");
    assert.deepEqual(
        await provider.getLogs({ fromBlock: from, toBlock: to, address: token.target, topics: [id("Nope()")] }),
        [],
    );
});

test("revert reasons and custom errors reach ethers from eth_call and from sending", { timeout: 60000 }, async () => {
    const user = wallet(5);
    const hive = contract("Hive", user);
    const iface = hive.interface;
    const reason = "Hive: nothing deposited";
    const reasonData = iface.encodeErrorResult("Error", [reason]);
    const customData = iface.encodeErrorResult("InsufficientDeposit", [user.address, 5n, 0n]);
    const depositCall = { from: user.address, to: hive.target, data: iface.encodeFunctionData("deposit") };
    const withdrawCall = { from: user.address, to: hive.target, data: iface.encodeFunctionData("withdraw", [5n]) };

    // The node's JSON-RPC errors.
    for (const method of ["eth_call", "eth_estimateGas"]) {
        assertRevertError(
            await rpc(method, [depositCall, "latest"]),
            { message: `execution reverted: ${reason}`, data: reasonData },
            `${method} deposit() with no value`,
        );
        assertRevertError(
            await rpc(method, [withdrawCall, "latest"]),
            { message: "execution reverted", data: customData },
            `${method} withdraw(5) with nothing deposited`,
        );
    }

    // require with a reason: static call, then a send (ethers estimates gas first).
    const r1 = await expectEthersError(hive.deposit.staticCall(), "CALL_EXCEPTION", "deposit() static call");
    assert.equal(r1.reason, reason);
    assert.equal(r1.revert?.name, "Error");
    assert.deepEqual([...r1.revert.args], [reason]);
    assert.equal(r1.data, reasonData);
    const r2 = await expectEthersError(hive.deposit(), "CALL_EXCEPTION", "sending deposit()");
    assert.equal(r2.reason, reason);
    assert.equal(r2.info?.payload?.method, "eth_estimateGas");
    assert.equal(nodeMessage(r2), `execution reverted: ${reason}`);
    const r3 = await expectEthersError(provider.call(depositCall), "CALL_EXCEPTION", "provider.call deposit()");
    assert.equal(r3.reason, reason);
    assert.equal(r3.info?.error?.code, 3);

    // Custom errors with arguments.
    const c1 = await expectEthersError(hive.withdraw.staticCall(5n), "CALL_EXCEPTION", "withdraw(5) static call");
    assert.equal(c1.revert?.name, "InsufficientDeposit", `revert ${show(c1.revert)}`);
    assert.deepEqual([...c1.revert.args], [user.address, 5n, 0n]);
    const c2 = await expectEthersError(hive.withdraw(5n), "CALL_EXCEPTION", "sending withdraw(5)");
    assert.equal(c2.info?.payload?.method, "eth_estimateGas");
    assert.equal(c2.data, customData);
    const decoded = iface.parseError(c2.data);
    assert.equal(decoded?.name, "InsufficientDeposit");
    assert.deepEqual([...decoded.args], [user.address, 5n, 0n]);
    const c3 = await expectEthersError(hive.clear.staticCall(7n), "CALL_EXCEPTION", "clear() by a non-keeper");
    assert.equal(c3.revert?.name, "NotKeeper");
    assert.deepEqual([...c3.revert.args], [user.address, wallet(0).address]);

    // A reverting transaction with an explicit gas limit skips the estimate: it is mined with
    // status 0, charges its gas, consumes its nonce and changes nothing else.
    const balance = await provider.getBalance(user.address);
    const nonce = await provider.getTransactionCount(user.address, "pending");
    const mined = await hive.withdraw(5n, { gasLimit: 100000n });
    const failed = await expectEthersError(mined.wait(), "CALL_EXCEPTION", "receipt of a reverting withdraw(5)");
    const receipt = failed.receipt;
    assert.equal(receipt?.status, 0, "status 0");
    assert.ok(receipt.gasUsed > 21000n && receipt.gasUsed < 100000n, `gasUsed ${receipt.gasUsed}`);
    assert.equal(receipt.logs.length, 0, "a reverted transaction leaves no logs");
    assert.equal(await provider.getBalance(user.address), balance - receipt.fee, "only the fee is charged");
    assert.equal(await provider.getTransactionCount(user.address), nonce + 1);
    assert.equal(await hive.deposits(user.address), 0n);
});

test("payable: deposits are held by the contract, withdrawals pay out, value to a non-payable function reverts", { timeout: 60000 }, async () => {
    const user = wallet(4);
    const hive = contract("Hive", user);
    const start = await provider.getBalance(user.address);
    const held = await provider.getBalance(hive.target);
    assert.equal(held, 0n);

    const amount = parseEther("1.5");
    const { receipt: r1 } = await sendWithEstimate(
        user,
        await hive.deposit.populateTransaction({ value: amount }),
        "payable deposit",
    );
    assert.deepEqual([...eventOf(r1, hive.interface, "Deposited").args], [user.address, amount, amount]);
    assert.equal(await provider.getBalance(hive.target), amount, "eth_getBalance of the contract");
    assert.equal(await hive.held(), amount, "address(this).balance");
    assert.equal(await hive.deposits(user.address), amount);
    assert.equal(await hive.totalDeposits(), amount);
    assert.equal(await provider.getBalance(user.address), start - amount - r1.fee);

    const back = parseEther("1");
    const { receipt: r2 } = await sendWithEstimate(
        user,
        await hive.withdraw.populateTransaction(back),
        "withdraw (a call that sends ETH)",
    );
    assert.deepEqual([...eventOf(r2, hive.interface, "Withdrawn").args], [user.address, back]);
    assert.equal(await provider.getBalance(hive.target), amount - back);
    assert.equal(await hive.deposits(user.address), amount - back);
    assert.equal(await provider.getBalance(user.address), start - amount - r1.fee + back - r2.fee);
    assert.equal(await provider.getBalance(hive.target, r1.blockNumber), amount, "the contract's balance at the deposit block");

    // Value sent to a non-payable function: solc's callvalue check reverts with no data.
    // (ethers' contract methods refuse this client-side, so the call is built by hand.)
    const store = { to: hive.target, data: hive.interface.encodeFunctionData("store", [1n, 2n]), value: 1n };
    assertRevertError(
        await rpc("eth_call", [{ ...store, from: user.address, value: "0x1" }, "latest"]),
        { message: "execution reverted", data: "0x" },
        "eth_call store() with value",
    );
    const refused = await expectEthersError(user.sendTransaction(store), "CALL_EXCEPTION", "store() with value");
    assert.equal(refused.info?.payload?.method, "eth_estimateGas");
    const plain = await expectEthersError(
        user.sendTransaction({ to: hive.target, value: 1n }),
        "CALL_EXCEPTION",
        "plain ETH transfer to a contract without receive()",
    );
    assert.equal(plain.info?.payload?.method, "eth_estimateGas");
    assert.equal(await provider.getBalance(hive.target), amount - back, "refused value is not held");
});

test("eth_estimateGas covers storage writes and refunds", { timeout: 60000 }, async () => {
    const [writer, keeper] = [wallet(6), wallet(0)];
    const hive = contract("Hive", writer);
    const { receipt: r1 } = await sendWithEstimate(
        writer,
        await hive.store.populateTransaction(7n, 1234n),
        "storage write (zero to non-zero)",
    );
    assert.deepEqual([...eventOf(r1, hive.interface, "Stored").args], [writer.address, 7n, 1234n]);
    assert.equal(await hive.stored(7n), 1234n);
    assert.equal(
        await provider.getStorage(hive.target, keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [7n, 1n]))),
        toBeHex(1234n, 32),
        "eth_getStorageAt of stored[7] (the mapping is at slot 1)",
    );
    await sendWithEstimate(writer, await hive.store.populateTransaction(7n, 99n), "storage write (non-zero to non-zero)");
    assert.equal(await hive.stored(7n), 99n);
    // Clearing a slot earns a refund, so gasUsed ends below what the execution needed.
    await sendWithEstimate(keeper, await hive.connect(keeper).clear.populateTransaction(7n), "storage clear (refund)");
    assert.equal(await hive.stored(7n), 0n);
    assert.equal(await hive.stored(7n, { blockTag: r1.blockNumber }), 1234n, "stored[7] at the first write's block");
});

test("CREATE2: the child lands at the predicted address", { timeout: 60000 }, async () => {
    const sender = wallet(6);
    const hive = contract("Hive", sender);
    const cell = artifacts.Cell;
    const salt = id("honeycomb e2e cell");
    const honey = 42n;

    const initCode = concat([cell.bytecode, AbiCoder.defaultAbiCoder().encode(["uint256"], [honey])]);
    const predicted = getCreate2Address(hive.target, salt, keccak256(initCode));
    assert.equal(await hive.cellInitCodeHash(honey), keccak256(initCode), "init code hash: contract and ethers agree");
    assert.equal(await hive.predictCell(salt, honey), predicted, "predicted address: contract and ethers agree");
    assert.equal(await hive.deployCell.staticCall(salt, honey), predicted, "eth_call of deployCell returns it");
    assert.equal(await provider.getCode(predicted), "0x", "nothing there yet");

    const hiveNonce = await provider.getTransactionCount(hive.target);
    const { receipt } = await sendWithEstimate(
        sender,
        await hive.deployCell.populateTransaction(salt, honey),
        "CREATE2 deployment",
    );
    assert.equal(receipt.contractAddress, null, "a call, not a creation transaction");
    const event = eventOf(receipt, hive.interface, "CellDeployed");
    assert.deepEqual([...event.args], [salt, predicted, honey]);
    assertRuntimeCode(await provider.getCode(predicted), cell, [hive.target, honey], "the child Cell");
    const child = new Contract(predicted, cell.abi, provider);
    assert.equal(await child.hive(), hive.target);
    assert.equal(await child.honey(), honey);
    assert.equal(await hive.cells(), 1n);
    assert.equal(await provider.getTransactionCount(hive.target), hiveNonce + 1, "CREATE2 bumps the factory's nonce");
    assert.equal(await provider.getTransactionCount(predicted), 1, "a new contract's nonce is 1");

    // The same salt again collides with the existing contract: the creation fails.
    await expectEthersError(hive.deployCell.staticCall(salt, honey), "CALL_EXCEPTION", "CREATE2 to an occupied address");
    // Another salt, another address.
    const other = id("another cell");
    assert.notEqual(await hive.predictCell(other, honey), predicted);
});

test("logs over a WebSocket subscription: events from transactions sent afterwards", { timeout: 60000 }, async () => {
    const [deployer, bob, carol] = [wallet(0), wallet(2), wallet(3)];
    const token = contract("Token", deployer);
    const hive = contract("Hive", carol);
    const dave = Wallet.createRandom().address;
    await waitReceipt(await token.transfer(carol.address, parseUnits("50", 18)), "funding carol");

    ws = newWsProvider(node.wsUrl);
    await ws.getNetwork();
    const tokenWs = token.connect(ws);
    const received = [];
    const stored = [];
    const { notify, waitFor } = eventWaiter();
    // With a filter (rather than an event name) ethers hands the listener only the payload,
    // whose args are the decoded event; take the last argument either way.
    const onTransfer = (...args) => {
        const payload = args[args.length - 1];
        received.push({ args: [...payload.args], log: payload.log });
        notify();
    };
    const storedFilter = { address: hive.target, topics: [hive.interface.getEvent("Stored").topicHash] };
    const onStored = (log) => {
        stored.push(log);
        notify();
    };
    // Both subscribe with eth_subscribe "logs" without waiting for the node's answer: contract.on
    // queues its request a few promise steps after it returns (hence the setImmediate),
    // provider.on before it returns. The node answers one connection's requests in order, so
    // once the eth_blockNumber queued after them is answered, both subscriptions are in place.
    await tokenWs.on(tokenWs.filters.Transfer(carol.address), onTransfer);
    await ws.on(storedFilter, onStored);
    await new Promise((res) => setImmediate(res));
    await ws.send("eth_blockNumber", []);

    // Not matching (from the deployer), mined first; then carol's transfer, which matches.
    await waitReceipt(await token.transfer(bob.address, 1n), "a transfer the filter excludes");
    const amount = parseUnits("7", 18);
    const receipt = await waitReceipt(await token.connect(carol).transfer(dave, amount), "carol's transfer");
    await waitFor(() => received.length > 0, "the Transfer event over the WebSocket subscription");
    assert.equal(received.length, 1, `events: ${show(received.map((r) => r.log.transactionHash))}`);
    const [ev] = received;
    assert.deepEqual(ev.args, [carol.address, dave, amount]);
    assert.equal(ev.log.transactionHash, receipt.hash);
    assert.equal(ev.log.blockNumber, receipt.blockNumber);
    assert.equal(ev.log.blockHash, receipt.blockHash);
    assert.equal(ev.log.address, token.target);

    const stores = await waitReceipt(await hive.store(11n, 5n), "store(11, 5)");
    await waitFor(() => stored.length > 0, "the Stored log over the WebSocket subscription");
    assert.equal(stored[0].transactionHash, stores.hash);
    const parsed = hive.interface.parseLog(stored[0]);
    assert.equal(parsed?.name, "Stored");
    assert.deepEqual([...parsed.args], [carol.address, 11n, 5n]);

    // Unsubscribing is queued the same way; let it reach the node before the provider goes.
    await tokenWs.off(tokenWs.filters.Transfer(carol.address), onTransfer);
    await ws.off(storedFilter, onStored);
    await new Promise((res) => setImmediate(res));
    await ws.send("eth_blockNumber", []);
});

test("gas estimates: summary", { timeout: 10000 }, (t) => {
    const kinds = ["deploying Token", "ERC20 transfer", "storage write (zero to non-zero)", "CREATE2 deployment"];
    for (const k of kinds) assert.ok(estimates.some((e) => e.what === k), `an estimate was checked for ${k}`);
    for (const e of estimates) {
        t.diagnostic(`${e.what}: estimate ${e.estimate}, gasUsed ${e.gasUsed} (x${(Number(e.estimate) / Number(e.gasUsed)).toFixed(3)})`);
    }
});
