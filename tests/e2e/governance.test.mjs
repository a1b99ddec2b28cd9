// End-to-end test of the system contracts (Governance at 0x...1000, Membership at 0x...1001)
// on `honeycomb dev`, called with ethers v6 through the committed JSON ABIs in
// contracts/system/abi/ the way a dapp would.
//
// First, without a node: the ABIs' function selectors, state mutability and event topics must
// match the signatures src/governance/system_contracts.cc dispatches on and emits, so the C++
// and the ABIs cannot drift apart unnoticed. Then, against a fresh dev chain (permission mode
// "open", no organisations): the read functions' answers, the revert reasons ethers decodes for
// a non-admin proposal, an unknown selector and a bad certificate, and the contracts' code.
//
// Run: npm ci --prefix tests/e2e && node --test tests/e2e/*.test.mjs
// The binary comes from HONEYCOMB_BIN (default: build/release/honeycomb).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import {
    DEV_KEYS,
    DevNode,
    ethers,
    expectEthersError,
    httpProvider,
    nodeMessage,
    withTimeout,
    STEP_TIMEOUT_MS,
} from "./support.mjs";

const { Contract, Interface, Wallet, dataSlice, hexlify, id, randomBytes } = ethers;

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const GOVERNANCE = "0x0000000000000000000000000000000000001000";
const MEMBERSHIP = "0x0000000000000000000000000000000000001001";
const SYSTEM_CONTRACTS_CC = "src/governance/system_contracts.cc";

function loadAbi(name) {
    const path = join(root, "contracts", "system", "abi", `${name}.json`);
    try {
        return JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
        throw new Error(
            `cannot load the ${name} ABI from contracts/system/abi/${name}.json (${e.code ?? e.message}); ` +
                "run `node scripts/compile-system-abis.mjs`",
        );
    }
}
const governanceAbi = loadAbi("Governance");
const membershipAbi = loadAbi("Membership");

// ---------------------------------------------------------------------------------------------
// The ABIs against the C++ dispatch tables (no node needed)

// What system_contracts.cc declares: its function table entries
//   constexpr Function propose{"propose(string)", true};
// grouped by the contract tables kGovernanceFunctions / kMembershipFunctions, and the event
// signatures it hashes with abi::event_topic("...").
function parseSystemContracts() {
    const text = readFileSync(join(root, SYSTEM_CONTRACTS_CC), "utf8");
    const functions = new Map(); // fn:: name -> { signature, changesState }
    for (const m of text.matchAll(/constexpr\s+Function\s+(\w+)\s*\{\s*"([^"]+)"\s*,\s*(true|false)\s*\}/g)) {
        functions.set(m[1], { signature: m[2], changesState: m[3] === "true" });
    }
    assert.ok(functions.size > 0, `no {"signature", bool} function entries found in ${SYSTEM_CONTRACTS_CC}`);
    const table = (name) => {
        const m = text.match(new RegExp(`${name}\\[\\]\\s*=\\s*\\{([^}]*)\\}`));
        assert.ok(m, `table ${name} not found in ${SYSTEM_CONTRACTS_CC}`);
        return [...m[1].matchAll(/fn::(\w+)/g)].map(([, fnName]) => {
            const f = functions.get(fnName);
            assert.ok(f, `${name} names fn::${fnName}, which has no {"signature", bool} entry`);
            return f;
        });
    };
    const events = new Set([...text.matchAll(/event_topic\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]));
    assert.ok(events.size > 0, `no abi::event_topic("...") calls found in ${SYSTEM_CONTRACTS_CC}`);
    return {
        functions,
        governance: table("kGovernanceFunctions"),
        membership: table("kMembershipFunctions"),
        events,
    };
}

// selector -> "signature (view|changes state)", for readable diffs.
function cxxSelectors(entries) {
    return new Map(
        entries.map((f) => [id(f.signature).slice(0, 10), `${f.signature} ${f.changesState ? "changes state" : "view"}`]),
    );
}

function abiSelectors(iface) {
    const out = new Map();
    iface.forEachFunction((f) => {
        const view = f.stateMutability === "view" || f.stateMutability === "pure";
        out.set(f.selector, `${f.format("sighash")} ${view ? "view" : "changes state"}`);
    });
    return out;
}

const sorted = (map) => [...map.entries()].sort(([a], [b]) => a.localeCompare(b));

describe("the JSON ABIs match system_contracts.cc", () => {
    const cxx = parseSystemContracts();
    const governance = new Interface(governanceAbi);
    const membership = new Interface(membershipAbi);

    test("Governance: function selectors and state mutability", () => {
        assert.deepEqual(sorted(abiSelectors(governance)), sorted(cxxSelectors(cxx.governance)));
    });

    test("Membership: function selectors and state mutability", () => {
        assert.deepEqual(sorted(abiSelectors(membership)), sorted(cxxSelectors(cxx.membership)));
    });

    test("every function entry in the C++ belongs to one contract's table", () => {
        const tabled = new Set([...cxx.governance, ...cxx.membership].map((f) => f.signature));
        const untabled = [...cxx.functions.values()].map((f) => f.signature).filter((s) => !tabled.has(s));
        assert.deepEqual(untabled, [], "function entries in neither kGovernanceFunctions nor kMembershipFunctions");
    });

    test("event signatures", () => {
        const abiEvents = [];
        for (const iface of [governance, membership]) iface.forEachEvent((e) => abiEvents.push(e.format("sighash")));
        assert.deepEqual(abiEvents.sort(), [...cxx.events].sort());
    });
});

// ---------------------------------------------------------------------------------------------
// Against the dev chain

describe("system contracts on honeycomb dev", () => {
    const node = new DevNode({ coinbase: Wallet.createRandom().address });
    let provider;
    let governance; // read-only Contract objects (connected to the provider)
    let membership;

    const wallet = (i) => new Wallet(DEV_KEYS[i], provider);
    const call = (promise, what) => withTimeout(promise, STEP_TIMEOUT_MS, what);

    before(async () => {
        await node.start();
        provider = httpProvider(node.httpUrl);
        governance = new Contract(GOVERNANCE, governanceAbi, provider);
        membership = new Contract(MEMBERSHIP, membershipAbi, provider);
    });

    after(async () => {
        if (provider) provider.destroy();
        await node.stop();
    });

    test("eth_getCode at both addresses is 0xfe", { timeout: 60000 }, async () => {
        assert.equal(await call(provider.getCode(GOVERNANCE), "eth_getCode Governance"), "0xfe");
        assert.equal(await call(provider.getCode(MEMBERSHIP), "eth_getCode Membership"), "0xfe");
    });

    test("Governance reads: open mode, no proposals, no organisations, default policy", { timeout: 60000 }, async () => {
        assert.equal(await call(governance.permissionMode(), "permissionMode()"), "open");
        assert.equal(await call(governance.proposalCount(), "proposalCount()"), 0n);
        const [ids, names] = await call(governance.organisations(), "organisations()");
        assert.deepEqual([[...ids], [...names]], [[], []]);
        const [nodeNames, nodeOrgs, epoch] = await call(governance.consensusNodes(), "consensusNodes()");
        assert.equal(nodeNames.length, nodeOrgs.length, "consensusNodes(): one org per node name");
        assert.equal(typeof epoch, "bigint");
        assert.equal(await call(governance.policy("deploy_contract"), "policy(deploy_contract)"), "ANY roles=admin,client");
        for (const a of [Wallet.createRandom().address, GOVERNANCE, MEMBERSHIP]) {
            assert.equal(await call(governance.isFrozen(a), `isFrozen(${a})`), false, `isFrozen(${a})`);
        }
        const missing = await expectEthersError(governance.proposal(1n), "CALL_EXCEPTION", "proposal(1) with none made");
        assert.equal(missing.reason, "no proposal 1");
    });

    test("Membership reads: nobody is a member", { timeout: 60000 }, async () => {
        const stranger = Wallet.createRandom().address;
        assert.equal(await call(membership.isMember(stranger), "isMember(random)"), false);
        assert.equal(await call(membership.isMember(wallet(0).address), "isMember(dev account 0)"), false);
        const [enrolled, org, role] = await call(membership.memberOf(stranger), "memberOf(random)");
        assert.deepEqual([enrolled, org, role], [false, "", ""]);
        assert.deepEqual([...(await call(membership.members(), "members()"))], []);
    });

    test("a non-admin's proposal reverts with the reason, through eth_call, eth_estimateGas and sending", { timeout: 60000 }, async () => {
        const proposer = wallet(0);
        const gov = governance.connect(proposer);
        const action = JSON.stringify({ type: "freeze", contract: Wallet.createRandom().address });
        const expected = "only organisation admins can propose";

        const viaCall = await expectEthersError(gov.propose.staticCall(action), "CALL_EXCEPTION", "propose() static call");
        assert.ok(viaCall.reason?.includes(expected), `static call reason ${JSON.stringify(viaCall.reason)}`);
        assert.ok(viaCall.reason.includes(proposer.address), `the reason names the sender: ${viaCall.reason}`);
        assert.equal(viaCall.revert?.name, "Error", "an Error(string) revert");

        const viaEstimate = await expectEthersError(gov.propose.estimateGas(action), "CALL_EXCEPTION", "propose() estimateGas");
        assert.ok(viaEstimate.reason?.includes(expected), `estimateGas reason ${JSON.stringify(viaEstimate.reason)}`);

        // Sending without a gas limit: ethers estimates first, and the estimate carries the reason.
        const viaSend = await expectEthersError(gov.propose(action), "CALL_EXCEPTION", "sending propose()");
        assert.equal(viaSend.info?.payload?.method, "eth_estimateGas");
        assert.ok(viaSend.reason?.includes(expected), `send reason ${JSON.stringify(viaSend.reason)}`);
        assert.match(nodeMessage(viaSend), /^execution reverted: only organisation admins can propose/);

        // Sending with a gas limit skips the estimate: the transaction is mined and fails,
        // changing nothing but the sender's nonce and balance.
        const sender = wallet(1);
        const nonce = await call(provider.getTransactionCount(sender.address, "pending"), "nonce");
        const tx = await call(governance.connect(sender).propose(action, { gasLimit: 500000n }), "sending propose() with a gas limit");
        const failed = await expectEthersError(tx.wait(), "CALL_EXCEPTION", "receipt of a failing propose()");
        assert.equal(failed.receipt?.status, 0, "status 0");
        assert.equal(failed.receipt.logs.length, 0, "a failed proposal emits no Proposed event");
        assert.equal(await call(provider.getTransactionCount(sender.address), "nonce after"), nonce + 1);
        assert.equal(await call(governance.proposalCount(), "proposalCount() after"), 0n);
    });

    test("an unknown function selector reverts with a reason naming it", { timeout: 60000 }, async () => {
        for (const [name, to] of [["Governance", GOVERNANCE], ["Membership", MEMBERSHIP]]) {
            const e = await expectEthersError(
                provider.call({ to, data: "0x12345678" }),
                "CALL_EXCEPTION",
                `${name}: unknown selector 0x12345678`,
            );
            assert.ok(e.reason?.includes("unknown function selector"), `${name} reason ${JSON.stringify(e.reason)}`);
            assert.ok(e.reason.includes("12345678"), `${name}: the reason names the selector: ${e.reason}`);
        }
    });

    test("enrol() with bytes that are not a certificate reverts with an enrol: reason", { timeout: 60000 }, async () => {
        const junk = hexlify(randomBytes(64));
        const m = membership.connect(wallet(2));
        const e = await expectEthersError(m.enrol.staticCall(junk), "CALL_EXCEPTION", "enrol(random bytes) static call");
        assert.ok(e.reason?.startsWith("enrol:"), `reason ${JSON.stringify(e.reason)}`);
        const sent = await expectEthersError(m.enrol(junk), "CALL_EXCEPTION", "sending enrol(random bytes)");
        assert.ok(sent.reason?.startsWith("enrol:"), `send reason ${JSON.stringify(sent.reason)}`);
        assert.equal(await call(membership.isMember(wallet(2).address), "isMember after a failed enrol"), false);
    });

    test("every view in the ABIs is dispatched and its answer decodes", { timeout: 60000 }, async () => {
        // Each view in the ABIs, called with plausible arguments, must answer: a mismatch between
        // an ABI selector and the C++ table would revert with "unknown function selector".
        const args = { address: Wallet.createRandom().address, string: "deploy_contract", uint256: 0n };
        for (const contract of [governance, membership]) {
            const views = [];
            contract.interface.forEachFunction((f) => {
                if (f.stateMutability === "view") views.push(f);
            });
            for (const f of views) {
                const data = contract.interface.encodeFunctionData(f, f.inputs.map((p) => args[p.type]));
                const what = `${f.format("sighash")} (${dataSlice(data, 0, 4)})`;
                let result;
                try {
                    result = await call(provider.call({ to: contract.target, data }), what);
                } catch (e) {
                    // A reasoned revert ("no proposal 0") still shows the selector was dispatched.
                    assert.ok(e.reason, `${what}: failed without a revert reason: ${e.message}`);
                    assert.ok(!e.reason.includes("unknown function selector"), `${what}: ${e.reason}`);
                    continue;
                }
                assert.notEqual(result, "0x", `${what} returned no data`);
                contract.interface.decodeFunctionResult(f, result); // throws if the shape is wrong
            }
        }
    });
});
