// End-to-end test of consortium governance on a 4-organisation network (`honeycomb up --orgs 4`,
// one node per organisation), driven with ethers v6 through the committed system-contract ABIs
// in contracts/system/abi/, while a background load of transfers from several dev accounts goes
// through every node for the whole suite.
//
// The network's genesis enrols each organisation's admin (key in orgs/orgN/admin.key) and the
// ten dev accounts as clients (account i in org(i mod 4)+1). It checks: non-members are refused
// by the pool; a client cannot propose; an admin enrols and revokes a member of its own
// organisation; a vote of 3 of the 4 admins freezes and unfreezes a contract and adds an
// organisation; the honeycomb_ JSON-RPC methods agree on every node; and every background
// transfer was mined and succeeded.
//
// Run: npm ci --prefix tests/e2e && node --test tests/e2e/consortium.test.mjs
// The binary comes from HONEYCOMB_BIN (default: build/release/honeycomb).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { compileContracts } from "./compile.mjs";
import {
    CHAIN_ID,
    ConsortiumNetwork,
    DEV_KEYS,
    HONEYCOMB_BIN,
    ProcessNode,
    STEP_TIMEOUT_MS,
    freePortRange,
    describeError,
    ethers,
    expectEthersError,
    httpProvider,
    nodeMessage,
    rpcCall,
    waitReceipt,
    withTimeout,
} from "./support.mjs";

const { Contract, ContractFactory, Wallet, getAddress, parseEther } = ethers;

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const GOVERNANCE = "0x0000000000000000000000000000000000001000";
const MEMBERSHIP = "0x0000000000000000000000000000000000001001";
const NOT_A_MEMBER = "sender is not a member of the consortium";
const FROZEN = "is frozen by consortium governance";
const ORGS = 4;
const TEST_TIMEOUT_MS = 180000;

async function loadAbi(name) {
    const path = join(root, "contracts", "system", "abi", `${name}.json`);
    try {
        return JSON.parse(await readFile(path, "utf8"));
    } catch (e) {
        throw new Error(
            `cannot load the ${name} ABI from contracts/system/abi/${name}.json (${e.code ?? e.message}); ` +
                "run `node scripts/compile-system-abis.mjs`",
        );
    }
}

const step = (promise, what) => withTimeout(promise, STEP_TIMEOUT_MS, what);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Expects `promise` (sending a transaction) to be refused with `expected` in the node's message.
async function expectRefused(promise, expected, what) {
    let result;
    try {
        result = await step(promise, what);
    } catch (e) {
        const said = `${nodeMessage(e)} ${e?.shortMessage ?? ""} ${e?.message ?? ""}`;
        assert.ok(said.includes(expected), `${what}: expected "${expected}", got ${describeError(e)}`);
        return e;
    }
    assert.fail(`${what}: expected a refusal ("${expected}"), but it was accepted: ${result?.hash}`);
}

// The dev accounts the tests use (each always through the same node, so that ethers' "pending"
// nonce comes from a pool that has seen the account's earlier transactions), and the ones the
// background load uses: disjoint sets.
const CLIENT = 0; // a client: tries to propose
const FUNDER = 1; // funds the member enrolled in the revocation test
const DEPLOYER = 2; // deploys and calls the contract that gets frozen
const LOAD_ACCOUNTS = [4, 5, 6, 7];

describe("a 4-organisation consortium under governance", () => {
    const network = new ConsortiumNetwork({ orgs: ORGS });
    let providers = []; // one per node, org1-node1's first
    let governanceAbi;
    let membershipAbi;
    let hive; // the compiled Hive contract (tests/e2e/contracts/Hive.sol)
    let admins = []; // org1..org4's admin wallets, each connected to its own organisation's node
    let lastGovernanceBlock = 0; // the block of the last governance change the tests made
    const load = { stop: false, sent: [], errors: [], done: null };
    const org5 = { tmp: null, dir: null, node: null, provider: null, epochStart: 0 };

    const devWallet = (i, node) => new Wallet(DEV_KEYS[i], providers[node]);
    const governanceAt = (runner) => new Contract(GOVERNANCE, governanceAbi, runner);
    const membershipAt = (runner) => new Contract(MEMBERSHIP, membershipAbi, runner);

    // Waits until every node has block `height` (the chain only grows while something is sent,
    // and the background load keeps sending).
    async function allNodesAt(height, what) {
        await step(
            Promise.all(
                providers.map(async (p) => {
                    while ((await p.getBlockNumber()) < height) await sleep(100);
                }),
            ),
            `every node to reach block ${height} (${what})`,
        );
    }

    // A Proposed / Executed / ... event of the Governance contract in a receipt.
    function governanceEvents(receipt, name) {
        const gov = governanceAt(null);
        return receipt.logs
            .filter((l) => getAddress(l.address) === getAddress(GOVERNANCE))
            .map((l) => gov.interface.parseLog(l))
            .filter((e) => e?.name === name);
    }

    // org1's admin proposes `action`; org2's and org3's admins vote: 3 of 4, a majority. Checks
    // that the second vote leaves it open and the third executes it; `beforeThirdVote` runs
    // while the proposal is open with two votes. Returns the proposal id.
    async function decide(action, what, beforeThirdVote = async () => {}) {
        const json = JSON.stringify(action);
        const proposed = await waitReceipt(
            await step(governanceAt(admins[0]).propose(json), `org1's admin proposing ${what}`),
            `the proposal to ${what}`,
        );
        const [event] = governanceEvents(proposed, "Proposed");
        assert.ok(event, `no Proposed event in the receipt of the proposal to ${what}`);
        const id = event.args.id;
        assert.equal(getAddress(event.args.proposer), admins[0].address);
        assert.deepEqual(JSON.parse(event.args.action), action, "the Proposed event's action");
        assert.equal(governanceEvents(proposed, "Executed").length, 0, `one vote executed the proposal to ${what}`);

        for (const [i, admin] of admins.slice(1, 3).entries()) {
            const org = `org${i + 2}`;
            // Each admin votes through its own node, which must have the proposal first.
            await allNodesAt(proposed.blockNumber, `the proposal to ${what}`);
            if (i === 1) await beforeThirdVote(id);
            const voted = await waitReceipt(
                await step(governanceAt(admin).vote(id), `${org}'s admin voting for ${what}`),
                `${org}'s vote for ${what}`,
            );
            assert.equal(governanceEvents(voted, "Voted").length, 1, `a Voted event for ${org}'s vote`);
            const executed = governanceEvents(voted, "Executed").length === 1;
            const outcome = executed ? "executed" : "did not execute";
            assert.equal(executed, i === 1, `${org}'s vote (vote ${i + 2} of 4) ${outcome} ${what}`);
            if (executed) {
                await allNodesAt(voted.blockNumber, `the vote that executed ${what}`);
                lastGovernanceBlock = voted.blockNumber;
            }
        }
        const [, , , status, voters, outcome] = await step(governanceAt(providers[0]).proposal(id), `proposal(${id})`);
        assert.equal(status, 1n, `proposal ${id} (${what}) is executed; outcome ${JSON.stringify(outcome)}`);
        assert.deepEqual([...voters].map(getAddress), admins.slice(0, 3).map((a) => a.address));
        return id;
    }

    // Transfers from LOAD_ACCOUNTS, each through a different node, one after the other per
    // account, until load.stop. Every hash and every failure is recorded.
    function startLoad() {
        const sinks = [Wallet.createRandom().address, Wallet.createRandom().address];
        const run = async (account, n) => {
            const node = n % providers.length;
            const wallet = devWallet(account, node);
            for (let k = 0; !load.stop; ++k) {
                try {
                    const tx = await step(
                        wallet.sendTransaction({ to: sinks[k % sinks.length], value: 1000n + BigInt(k) }),
                        `load transfer from dev account ${account}`,
                    );
                    load.sent.push({ hash: tx.hash, account, node });
                    await step(tx.wait(), `receipt of load transfer ${tx.hash}`);
                } catch (e) {
                    load.errors.push(`dev account ${account} via node ${node + 1}: ${describeError(e)}`);
                    await sleep(500);
                }
            }
        };
        load.done = Promise.all(LOAD_ACCOUNTS.map(run));
    }

    before(async () => {
        [governanceAbi, membershipAbi] = await Promise.all([loadAbi("Governance"), loadAbi("Membership")]);
        hive = compileContracts().contracts.Hive;
        assert.ok(hive, "Hive is compiled from tests/e2e/contracts");
        await network.start();
        providers = network.rpcUrls.map(httpProvider);
        admins = Array.from({ length: ORGS }, (_, i) => new Wallet(network.adminKey(`org${i + 1}`), providers[i]));
        for (const p of providers) assert.equal((await step(p.getNetwork(), "eth_chainId")).chainId, CHAIN_ID);
        startLoad();
    });

    after(async () => {
        load.stop = true;
        if (load.done) await load.done;
        for (const p of providers) p.destroy();
        org5.provider?.destroy();
        if (org5.node) await org5.node.stop();
        await network.stop();
        if (org5.tmp) await rm(org5.tmp, { recursive: true, force: true });
    });

    // The consensus set's epoch on node `url` once it is at least `epoch`.
    async function epochAtLeast(url, epoch, what) {
        return step(
            (async () => {
                for (;;) {
                    const cn = await rpcCall(url, "honeycomb_consensusNodes");
                    if (cn.epoch >= epoch) return cn;
                    await sleep(200);
                }
            })(),
            `${url} to reach epoch ${epoch} (${what})`,
        );
    }

    async function metricsOf(url) {
        const res = await fetch(`${url}/metrics`);
        assert.equal(res.status, 200, `GET ${url}/metrics`);
        return res.text();
    }

    // governance::next_epoch_boundary with the default epoch_blocks.
    function epochBoundaryAfter(block, epochBlocks = 20) {
        let boundary = (Math.floor(block / epochBlocks) + 1) * epochBlocks;
        if (boundary < block + 2) boundary += epochBlocks;
        return boundary;
    }

    // The names of the signers of the commit certificates of blocks from..to (one per commit).
    async function certificateSigners(url, from, to) {
        const names = new Set();
        for (let n = from; n <= to; ) {
            const cert = await rpcCall(url, "honeycomb_commitCertificate", [`0x${n.toString(16)}`]);
            for (const name of cert.signerNames ?? []) names.add(name);
            n = cert.provenAtBlock + 1;
        }
        return names;
    }

    test("a non-member's transaction is refused by the pool", { timeout: TEST_TIMEOUT_MS }, async () => {
        const provider = providers[1];
        const stranger = Wallet.createRandom().connect(provider);
        // Funded, so that membership is the only thing it lacks.
        const funded = await waitReceipt(
            await step(
                devWallet(FUNDER, 2).sendTransaction({ to: stranger.address, value: parseEther("1") }),
                "funding the stranger",
            ),
            "funding the stranger",
        );
        await allNodesAt(funded.blockNumber, "the funding");
        // A complete transaction, so that ethers sends it as it is (no estimate).
        const transfer = {
            to: Wallet.createRandom().address,
            value: 1n,
            gasLimit: 21000n,
            gasPrice: 10n ** 9n,
            chainId: CHAIN_ID,
            nonce: 0,
        };
        await expectRefused(stranger.sendTransaction(transfer), NOT_A_MEMBER, "sendTransaction from a random wallet");
        const raw = await stranger.signTransaction(transfer);
        await expectRefused(
            provider.broadcastTransaction(raw),
            NOT_A_MEMBER,
            "eth_sendRawTransaction from a random wallet",
        );
        assert.equal(await step(provider.getTransactionCount(stranger.address, "pending"), "nonce"), 0);
    });

    test("a client cannot propose, and no proposal is recorded", { timeout: TEST_TIMEOUT_MS }, async () => {
        const client = devWallet(CLIENT, 1);
        const gov = governanceAt(client);
        const before = await step(gov.proposalCount(), "proposalCount()");
        const action = JSON.stringify({ type: "freeze", contract: Wallet.createRandom().address });
        for (const [how, attempt] of [
            ["eth_call", () => gov.propose.staticCall(action)],
            ["eth_estimateGas", () => gov.propose.estimateGas(action)],
            ["sending", () => gov.propose(action)],
        ]) {
            const e = await expectEthersError(attempt(), "CALL_EXCEPTION", `a client's propose() (${how})`);
            assert.ok(e.reason?.includes("only organisation admins can propose"), `${how}: ${describeError(e)}`);
        }
        assert.equal(await step(gov.proposalCount(), "proposalCount() after"), before);
    });

    test("an admin enrols a member of its organisation, then revokes it", { timeout: TEST_TIMEOUT_MS }, async () => {
        const provider = providers[0]; // org1's admin sends here too
        const member = Wallet.createRandom().connect(provider);
        const membership = membershipAt(admins[0]);
        const listed = async (url) =>
            (await step(rpcCall(url, "honeycomb_members"), "honeycomb_members")).find(
                (m) => getAddress(m.address) === member.address,
            );

        const enrolled = await waitReceipt(
            await step(membership.enrolMember(member.address, "org1", "client"), "enrolMember()"),
            "enrolMember()",
        );
        assert.deepEqual(
            [...(await step(membership.memberOf(member.address), "memberOf()"))],
            [true, "org1", "client"],
        );
        const entry = await listed(network.rpcUrls[0]);
        assert.ok(entry, "honeycomb_members lists the enrolled member");
        assert.equal(entry.organisation, "org1");
        assert.equal(entry.role, "client");

        // Funded by a dev account through another node; the member then sends through node 1.
        await allNodesAt(enrolled.blockNumber, "the enrolment");
        const funded = await waitReceipt(
            await step(devWallet(FUNDER, 2).sendTransaction({ to: member.address, value: parseEther("1") }), "funding"),
            "funding the member",
        );
        await allNodesAt(funded.blockNumber, "the funding");
        await waitReceipt(
            await step(
                member.sendTransaction({ to: Wallet.createRandom().address, value: 1n }),
                "the member's transfer",
            ),
            "the member's transfer",
        );

        const revoked = await waitReceipt(await step(membership.revoke(member.address), "revoke()"), "revoke()");
        lastGovernanceBlock = revoked.blockNumber;
        await allNodesAt(revoked.blockNumber, "the revocation");
        assert.equal(await step(membership.isMember(member.address), "isMember() after revoke"), false);
        for (const [i, p] of providers.entries()) {
            await expectRefused(
                member.connect(p).sendTransaction({ to: Wallet.createRandom().address, value: 1n, gasLimit: 21000n }),
                NOT_A_MEMBER,
                `the revoked member's transfer through node ${i + 1}`,
            );
            assert.equal(
                await listed(network.rpcUrls[i]),
                undefined,
                `node ${i + 1}'s honeycomb_members still lists the revoked member`,
            );
        }
    });

    test("a majority of admins freezes a contract, then unfreezes it", { timeout: TEST_TIMEOUT_MS }, async () => {
        const deployer = devWallet(DEPLOYER, 3);
        const deployed = await step(
            new ContractFactory(hive.abi, hive.bytecode, deployer).deploy(),
            "deploying Hive",
        );
        await step(deployed.waitForDeployment(), "Hive deployment");
        const address = await deployed.getAddress();
        await waitReceipt(await step(deployed.store(1n, 11n), "store(1, 11)"), "store(1, 11)");

        const frozenList = async (i) =>
            (await step(rpcCall(network.rpcUrls[i], "honeycomb_policies"), "honeycomb_policies")).frozen;

        await decide({ type: "freeze", contract: address }, "freeze Hive", async (id) => {
            // Proposal `id` is open with org1's and org2's votes: org2 cannot vote twice.
            const again = await expectEthersError(
                governanceAt(admins[1]).vote.staticCall(id),
                "CALL_EXCEPTION",
                "org2's admin voting twice",
            );
            assert.ok(again.reason?.includes("already voted"), `a second vote: ${describeError(again)}`);
        });

        for (const [i, p] of providers.entries()) {
            const e = await expectEthersError(
                deployed.connect(p).stored(1n),
                "CALL_EXCEPTION",
                `eth_call stored(1) of the frozen contract on node ${i + 1}`,
            );
            assert.ok(e.reason?.includes(FROZEN), `node ${i + 1}: ${describeError(e)}`);
            assert.deepEqual(await frozenList(i), [address], `node ${i + 1}: honeycomb_policies "frozen"`);
            assert.equal(await step(governanceAt(p).isFrozen(address), "isFrozen()"), true);
        }
        // With a gas limit, ethers skips the estimate: the transaction is mined and fails.
        const tx = await step(deployed.store(1n, 22n, { gasLimit: 200000n }), "store(1, 22) while frozen");
        const failed = await expectEthersError(tx.wait(), "CALL_EXCEPTION", "the receipt of store(1, 22) while frozen");
        assert.equal(failed.receipt?.status, 0, "store() to a frozen contract is mined with status 0");

        await decide({ type: "unfreeze", contract: address }, "unfreeze Hive");
        for (const [i, p] of providers.entries()) {
            const value = await step(deployed.connect(p).stored(1n), `stored(1) on node ${i + 1}`);
            assert.equal(value, 11n, `node ${i + 1}: the failed store() changed nothing`);
            assert.deepEqual(await frozenList(i), [], `node ${i + 1}: honeycomb_policies "frozen" after unfreeze`);
        }
        await waitReceipt(await step(deployed.store(1n, 33n), "store(1, 33) after unfreezing"), "store(1, 33)");
        assert.equal(await step(deployed.stored(1n), "stored(1)"), 33n);
    });

    test("a majority of admins adds an organisation", { timeout: TEST_TIMEOUT_MS }, async () => {
        // org5 prepares with `honeycomb join`: its CA, its admin, its node (which joins in the
        // tests below), and the actions to vote on.
        org5.tmp = await mkdtemp(join(tmpdir(), "honeycomb-e2e-org5-"));
        org5.dir = join(org5.tmp, "org5");
        const base = await freePortRange(2);
        await promisify(execFile)(HONEYCOMB_BIN, [
            "join",
            "--genesis", join(network.dir, "genesis.json"),
            "--org", "org5",
            "--org-name", "Org Five",
            "--out", org5.dir,
            "--base-port", String(base),
            "--rpc-port", String(base + 1),
        ]);
        const pem = await readFile(join(org5.dir, "orgs", "org5", "ca.pem"), "utf8");
        assert.match(pem, /-----BEGIN CERTIFICATE-----/);
        const action = JSON.parse(await readFile(join(org5.dir, "add_org.json"), "utf8"));
        assert.deepEqual(action, { type: "add_org", id: "org5", name: "Org Five", ca_certs: [pem] });

        const id = await decide(action, "add org5");

        const squash = (s) => s.replace(/\s+/g, "");
        for (const [i, url] of network.rpcUrls.entries()) {
            const orgs = await step(rpcCall(url, "honeycomb_organisations"), "honeycomb_organisations");
            const org5 = orgs.find((o) => o.id === "org5");
            assert.ok(org5, `node ${i + 1}: no org5 in honeycomb_organisations ${JSON.stringify(orgs.map((o) => o.id))}`);
            assert.equal(org5.name, "Org Five");
            assert.deepEqual(org5.caCertificates.map(squash), [squash(pem)], `node ${i + 1}: org5's CA`);

            const proposals = await step(rpcCall(url, "honeycomb_proposals"), "honeycomb_proposals");
            const p = proposals.find((x) => BigInt(x.id) === id);
            assert.ok(p, `node ${i + 1}: honeycomb_proposals lacks proposal ${id}`);
            assert.equal(p.status, "executed", `node ${i + 1}: ${JSON.stringify({ ...p, action: p.action?.type })}`);
            assert.deepEqual(p.voters.map(getAddress), admins.slice(0, 3).map((a) => a.address));
            assert.equal(p.action.type, "add_org");
            assert.equal(p.action.id, "org5");
        }
        const [ids, names] = await step(governanceAt(providers[3]).organisations(), "organisations()");
        assert.deepEqual([...ids], ["org1", "org2", "org3", "org4", "org5"]);
        assert.equal(names[4], "Org Five");
    });

    test("the honeycomb_ methods answer alike on every node", { timeout: TEST_TIMEOUT_MS }, async () => {
        // The governance state changes only with the tests' governance transactions, so every
        // node at or past the last of them must report the same state, and agree on that block.
        assert.ok(lastGovernanceBlock > 0, "the earlier tests made governance changes");
        await allNodesAt(lastGovernanceBlock, "the last governance change");
        const methods = [
            "honeycomb_organisations",
            "honeycomb_members",
            "honeycomb_policies",
            "honeycomb_proposals",
            "honeycomb_consensusNodes",
        ];
        const answers = [];
        for (const url of network.rpcUrls) {
            const answer = {};
            for (const m of methods) answer[m] = await step(rpcCall(url, m), `${m} at ${url}`);
            const tag = `0x${lastGovernanceBlock.toString(16)}`;
            answer.block = (await step(rpcCall(url, "eth_getBlockByNumber", [tag, false]), `block ${tag}`)).hash;
            answers.push(answer);
        }
        for (const [i, a] of answers.entries()) {
            assert.deepEqual(a, answers[0], `node ${i + 1} disagrees with node 1`);
        }

        const a = answers[0];
        assert.deepEqual(a.honeycomb_organisations.map((o) => o.id), ["org1", "org2", "org3", "org4", "org5"]);
        for (const o of a.honeycomb_organisations) {
            assert.equal(typeof o.name, "string");
            assert.ok(o.caCertificates.length >= 1, `${o.id} has a CA certificate`);
        }
        const members = new Map(a.honeycomb_members.map((m) => [getAddress(m.address), m]));
        assert.equal(members.size, ORGS + DEV_KEYS.length, "the admins and the dev accounts (the revoked member gone)");
        for (const [i, admin] of admins.entries()) {
            const m = members.get(admin.address);
            assert.deepEqual([m?.organisation, m?.role], [`org${i + 1}`, "admin"], `org${i + 1}'s admin`);
        }
        for (const [i, key] of DEV_KEYS.entries()) {
            const m = members.get(new Wallet(key).address);
            assert.deepEqual([m?.organisation, m?.role], [`org${(i % ORGS) + 1}`, "client"], `dev account ${i}`);
        }
        const pol = a.honeycomb_policies;
        assert.equal(pol.permissionMode, "permissioned");
        assert.equal(pol.resources.change_config, "MAJORITY roles=admin");
        assert.equal(pol.resources.manage_members, "SELF roles=admin");
        assert.deepEqual(pol.frozen, []);
        assert.equal(typeof pol.blockGasLimit, "number");
        assert.deepEqual(a.honeycomb_proposals.map((p) => [p.action.type, p.status, p.voters.length]), [
            ["freeze", "executed", 3],
            ["unfreeze", "executed", 3],
            ["add_org", "executed", 3],
        ]);
        const cn = a.honeycomb_consensusNodes;
        assert.equal(typeof cn.epoch, "number");
        assert.deepEqual(
            cn.nodes.map((n) => [n.name, n.organisation]),
            network.nodeNames.map((n, i) => [n, `org${i + 1}`]),
        );
        assert.equal(cn.pending, null);
        const count = governanceAt(providers[2]).proposalCount({ blockTag: lastGovernanceBlock });
        assert.equal(await step(count, `proposalCount() at block ${lastGovernanceBlock}`), 3n);
    });

    test("a vote adds org5's node: it syncs, joins at the epoch boundary and then votes", { timeout: TEST_TIMEOUT_MS }, async () => {
        // `honeycomb join` wrote the node's config (this network's genesis and nodes as peers,
        // org5's CA as org_ca) and the add_node action with its consensus key.
        const configPath = join(org5.dir, "nodes", "org5-node1", "node.json");
        const config = JSON.parse(await readFile(configPath, "utf8"));
        const action = JSON.parse(await readFile(join(org5.dir, "add_node-org5-node1.json"), "utf8"));
        assert.equal(action.type, "add_node");
        assert.equal(action.p2p_address, config.p2p_listen);
        assert.deepEqual(config.peers.map((p) => p.name), network.nodeNames);

        await decide(action, "add org5-node1");
        // The set takes over after the next multiple of epoch_blocks (20) at least two blocks
        // after the vote's; under load that block may already be past when we ask.
        const boundary = epochBoundaryAfter(lastGovernanceBlock);
        const cn = await step(rpcCall(network.rpcUrls[0], "honeycomb_consensusNodes"), "honeycomb_consensusNodes");
        if (cn.pending) {
            assert.equal(cn.pending.effectiveHeight, boundary);
            assert.deepEqual(cn.pending.nodes.map((n) => n.name), [...network.nodeNames, "org5-node1"]);
        } else {
            assert.deepEqual([cn.epoch, cn.epochStartHeight], [1, boundary], "no pending set: the epoch began");
        }

        // The new node starts from its genesis and syncs; before the boundary it only follows.
        org5.node = new ProcessNode(["node", "--config", configPath], "honeycomb node (org5-node1)");
        await org5.node.start();
        org5.provider = httpProvider(org5.node.httpUrl);

        // Every node, the new one included, moves to epoch 1 after the boundary block.
        for (const url of [...network.rpcUrls, org5.node.httpUrl]) {
            const cn = await epochAtLeast(url, 1, "org5-node1 added");
            assert.equal(cn.epoch, 1);
            assert.equal(cn.epochStartHeight, boundary, `${url}: the epoch starts after block ${boundary}`);
            assert.deepEqual(cn.nodes.map((n) => n.name), [...network.nodeNames, "org5-node1"]);
            assert.equal(cn.pending, null);
        }
        org5.epochStart = boundary;
        const metrics = await step(metricsOf(org5.node.httpUrl), "org5-node1's /metrics");
        assert.match(metrics, /\nhc_consensus_epoch 1\n/);
        assert.match(metrics, /\nhc_consensus_voting 1\n/, "org5-node1 votes in epoch 1");

        // Its votes count: within a while it signs commit certificates of epoch 1's blocks.
        const seen = await step(
            (async () => {
                for (;;) {
                    const head = await providers[0].getBlockNumber();  // its head is proven
                    if (head > boundary) {
                        const names = await certificateSigners(network.rpcUrls[0], boundary + 1, head);
                        if (names.has("org5-node1")) return names;
                    }
                    await sleep(300);
                }
            })(),
            "a commit certificate signed by org5-node1",
        );
        for (const name of seen) assert.ok([...network.nodeNames, "org5-node1"].includes(name), `signer ${name}`);

        // The new node holds the same chain.
        const height = boundary + 2;
        await allNodesAt(height, "after the boundary");
        while ((await org5.provider.getBlockNumber()) < height) await sleep(100);
        const hashes = await Promise.all(
            [...providers, org5.provider].map(async (p) => (await p.getBlock(height)).hash),
        );
        assert.equal(new Set(hashes).size, 1, `block ${height} on every node: ${hashes}`);
    });

    test("a vote removes a node and the network keeps committing", { timeout: TEST_TIMEOUT_MS }, async () => {
        assert.ok(org5.epochStart > 0, "org5-node1 joined in the test before");
        await decide({ type: "remove_node", name: "org4-node1" }, "remove org4-node1");
        const remaining = ["org1-node1", "org2-node1", "org3-node1", "org5-node1"];
        const cn = await epochAtLeast(network.rpcUrls[0], 2, "org4-node1 removed");
        assert.deepEqual(cn.nodes.map((n) => n.name), remaining);
        const start = cn.epochStartHeight;
        assert.equal(start, epochBoundaryAfter(lastGovernanceBlock), "epoch 2 starts at the boundary after the vote");

        // The chain goes on under the new set: 10 more blocks, certified by it alone, while the
        // background load keeps sending (through org4-node1 too, which now only follows).
        const target = start + 10;
        await allNodesAt(target, "ten blocks after org4-node1 left");
        const names = await certificateSigners(network.rpcUrls[0], start + 1, target);
        assert.ok(names.size >= 3, `a quorum (3 of 4) signs: ${[...names]}`);
        for (const name of names) assert.ok(remaining.includes(name), `signer ${name} is in the new set`);
        assert.ok(!names.has("org4-node1"), "org4-node1 signs nothing after it left");
        for (const url of [...network.rpcUrls, org5.node.httpUrl]) {
            const now = await epochAtLeast(url, 2, "org4-node1 removed");
            assert.deepEqual(now.nodes.map((n) => n.name), remaining, url);
        }
        const metrics = await step(metricsOf(network.rpcUrls[3]), "org4-node1's /metrics");
        assert.match(metrics, /\nhc_consensus_voting 0\n/, "org4-node1 only follows now");
    });

    test("every background transfer was mined and succeeded", { timeout: TEST_TIMEOUT_MS }, async () => {
        load.stop = true;
        await step(load.done, "the background load to finish its last transfers");
        assert.deepEqual(load.errors, [], "the background load's failures");
        for (const account of LOAD_ACCOUNTS) {
            assert.ok(load.sent.some((s) => s.account === account), `dev account ${account} sent transfers`);
        }
        // Each receipt first from the node the transfer went to, then from every node.
        let highest = 0;
        for (const { hash, node } of load.sent) {
            const receipt = await step(providers[node].getTransactionReceipt(hash), `receipt ${hash}`);
            assert.ok(receipt, `no receipt for the load transfer ${hash} on node ${node + 1}`);
            highest = Math.max(highest, receipt.blockNumber);
        }
        await allNodesAt(highest, "the last load transfer");
        for (const { hash } of load.sent) {
            for (const [i, p] of providers.entries()) {
                const receipt = await step(p.getTransactionReceipt(hash), `receipt ${hash}`);
                assert.equal(receipt?.status, 1, `load transfer ${hash} on node ${i + 1}: ${JSON.stringify(receipt)}`);
            }
        }
        console.log(`background load: ${load.sent.length} transfers, all mined with status 1, up to block ${highest}`);
    });
});
