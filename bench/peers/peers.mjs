#!/usr/bin/env node
// Runs the same presigned workloads against `honeycomb dev`, Hardhat's node and ganache, one
// after the other on this machine, and prints one table: system, workload, TPS, p50, p99.
//
//   W1 "transfer": ETH transfers between fresh accounts (each sender sends K with consecutive nonces)
//   W2 "erc20":    OpenZeppelin ERC20 transfer() calls between the same fresh accounts
//
// Everything is signed before the clock starts; the timed part only sends raw transactions
// (eth_sendRawTransaction in JSON-RPC batches, a bounded number in flight) and watches new
// blocks for them. See README.md for what the numbers mean.
//
// Usage: node peers.mjs [--systems honeycomb,hardhat,ganache] [--workloads transfer,erc20]
//        [--senders 200] [--txs-per-sender 10] [--batch 100] [--concurrency 4] ...
//        (node peers.mjs --help lists them all)

import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import net from "node:net";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let ethers;
try {
    ethers = await import("ethers");
} catch (e) {
    console.error(
        `ethers is not installed for bench/peers (${e.code ?? e.message}): run \`npm ci\` in bench/peers first.`,
    );
    process.exit(2);
}
const { Interface, SigningKey, Transaction, computeAddress, getCreateAddress, id: keccakText, parseEther } =
    ethers;

// ---------------------------------------------------------------------------------------------
// Options

const OPTIONS = {
    systems: { type: "string", default: "honeycomb,hardhat,ganache", help: "systems to run, in order" },
    workloads: { type: "string", default: "transfer,erc20", help: "workloads to run (transfer = W1, erc20 = W2)" },
    senders: { type: "string", default: "200", help: "fresh sending accounts" },
    "txs-per-sender": { type: "string", default: "10", help: "transactions each sender sends per workload (consecutive nonces)" },
    batch: { type: "string", default: "100", help: "eth_sendRawTransaction calls per JSON-RPC batch" },
    concurrency: { type: "string", default: "4", help: "batches in flight at once" },
    "poll-ms": { type: "string", default: "20", help: "how often the watcher asks for new blocks" },
    "timeout-s": { type: "string", default: "300", help: "longest wait for a workload's transactions to be included" },
    json: { type: "string", help: "also write the results as JSON to this file" },
    help: { type: "boolean", default: false, help: "print this and exit" },
};

function usage() {
    const lines = Object.entries(OPTIONS).map(
        ([name, o]) => `  --${name}${o.type === "string" ? " <value>" : ""}`.padEnd(28) +
            `${o.help}${o.default !== undefined && o.type === "string" ? ` (default ${o.default})` : ""}`,
    );
    return `usage: node peers.mjs [options]\n${lines.join("\n")}\n` +
        "environment: HONEYCOMB_BIN (default: build/release/honeycomb from the repository root)";
}

function parseOptions() {
    let values;
    try {
        ({ values } = parseArgs({
            options: Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type, default: o.default }])),
            strict: true,
        }));
    } catch (e) {
        console.error(`${e.message}\n${usage()}`);
        process.exit(2);
    }
    if (values.help) {
        console.log(usage());
        process.exit(0);
    }
    const int = (name, min, max) => {
        const v = Number(values[name]);
        if (!Number.isInteger(v) || v < min || v > max) {
            console.error(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(values[name])}`);
            process.exit(2);
        }
        return v;
    };
    const list = (name, known) => {
        const items = values[name].split(",").map((s) => s.trim()).filter(Boolean);
        const bad = items.filter((s) => !known.includes(s));
        if (bad.length || items.length === 0) {
            console.error(`--${name}: unknown ${bad.join(", ") || "(empty)"}; choose from ${known.join(", ")}`);
            process.exit(2);
        }
        return items;
    };
    return {
        systems: list("systems", Object.keys(SYSTEMS)),
        workloads: list("workloads", Object.keys(WORKLOADS)),
        senders: int("senders", 1, 100000),
        txsPerSender: int("txs-per-sender", 1, 100000),
        batch: int("batch", 1, 100000),
        concurrency: int("concurrency", 1, 1024),
        pollMs: int("poll-ms", 1, 10000),
        timeoutS: int("timeout-s", 1, 86400),
        json: values.json,
    };
}

// ---------------------------------------------------------------------------------------------
// Constants shared by every system

// The first well-known development key (Hardhat's default account 0, also prefunded by
// `honeycomb dev`); ganache is started with this key funded so one funder serves everywhere.
const FUNDER_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const GWEI = 10n ** 9n;
// Above every system's base fee in these runs (honeycomb: constant 1 gwei; Hardhat and ganache
// start near 1 gwei and fall with one transaction per block), so no transaction waits on price.
const MAX_FEE = 20n * GWEI;
const PRIORITY_FEE = 1n * GWEI;
const TRANSFER_GAS = 21000n;
const ERC20_TRANSFER_GAS = 100000n; // OpenZeppelin transfer() to a fresh holder costs ~52k
const DEPLOY_GAS = 3000000n;
const TRANSFER_VALUE = 1000n; // wei per W1 transfer
// honeycomb's txpool holds at most 256 transactions per sender; setup sends the funder's
// transactions in chunks below that and waits for each chunk.
const SETUP_CHUNK = 200;

const SOLC_VERSION = "0.8.28";
// shanghai, not cancun: ganache 7.9 does not run cancun's opcodes, and the same bytecode goes
// to every system.
const EVM_VERSION = "shanghai";
const TOKEN_SOURCE = `// SPDX-License-Identifier: UNLICENSED
pragma solidity ${SOLC_VERSION};
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract BenchToken is ERC20 {
    constructor(uint256 supply) ERC20("Bench", "BNCH") { _mint(msg.sender, supply); }
}
`;

// ---------------------------------------------------------------------------------------------
// Processes

function freePort() {
    return new Promise((res, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => res(port));
        });
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A node under test: a child process whose output is kept (the tail goes into error messages)
// and drained, so a chatty node (Hardhat logs every transaction) never blocks on a full pipe.
class NodeProcess {
    constructor(name, file, args, options = {}) {
        this.name = name;
        this.file = file;
        this.args = args;
        this.options = options;
        this.output = "";
        this.exit = null;
    }

    tail(lines = 20) {
        return this.output.split("\n").slice(-lines).join("\n");
    }

    start() {
        const child = spawn(this.file, this.args, { stdio: ["ignore", "pipe", "pipe"], ...this.options });
        this.child = child;
        const keep = (d) => {
            this.output = (this.output + d).slice(-20000);
        };
        child.stdout.setEncoding("utf8").on("data", keep);
        child.stderr.setEncoding("utf8").on("data", keep);
        this.exited = new Promise((res) => {
            child.on("error", (e) => {
                this.exit = { error: e.message };
                res(this.exit);
            });
            child.on("exit", (code, signal) => {
                this.exit = { code, signal };
                res(this.exit);
            });
        });
    }

    // Waits until the node answers eth_chainId over HTTP.
    async ready(url, timeoutMs = 120000) {
        const rpc = new Rpc(url);
        const deadline = Date.now() + timeoutMs;
        let last = "";
        while (Date.now() < deadline) {
            if (this.exit) {
                throw new Error(`${this.name} exited before serving JSON-RPC (${JSON.stringify(this.exit)})\n${this.tail()}`);
            }
            try {
                return BigInt(await rpc.call("eth_chainId", []));
            } catch (e) {
                last = e.message;
            }
            await sleep(200);
        }
        throw new Error(`${this.name} did not answer eth_chainId at ${url} within ${timeoutMs} ms (last: ${last})\n${this.tail()}`);
    }

    async stop() {
        if (!this.child || this.exit) return;
        this.child.kill("SIGTERM");
        const hung = sleep(15000).then(() => null);
        if (!(await Promise.race([this.exited, hung]))) {
            this.child.kill("SIGKILL");
            await this.exited;
        }
    }
}

const REPO_ROOT = resolve(here, "..", "..");
const HONEYCOMB_BIN = resolve(process.env.HONEYCOMB_BIN ?? join(REPO_ROOT, "build", "release", "honeycomb"));
const BIN_DIR = join(here, "node_modules", ".bin");

// How each system is started. `command` is what a person would type to start it the same way.
const SYSTEMS = {
    honeycomb: {
        async start(port) {
            if (!existsSync(HONEYCOMB_BIN)) {
                throw new Error(`honeycomb binary not found at ${HONEYCOMB_BIN}: build it (cmake --build --preset release) or set HONEYCOMB_BIN`);
            }
            const dataDir = await mkdtemp(join(tmpdir(), "honeycomb-peers-"));
            const args = ["dev", "--data-dir", dataDir, "--rpc-addr", `127.0.0.1:${port}`, "--quiet"];
            const node = new NodeProcess("honeycomb dev", HONEYCOMB_BIN, args);
            node.cleanup = () => rm(dataDir, { recursive: true, force: true });
            node.command = `${HONEYCOMB_BIN} ${args.join(" ").replace(dataDir, "<fresh temp dir>")}`;
            return node;
        },
    },
    hardhat: {
        async start(port) {
            const args = ["node", "--hostname", "127.0.0.1", "--port", String(port)];
            // cwd here: Hardhat finds hardhat.config.cjs next to this script.
            const node = new NodeProcess("hardhat node", join(BIN_DIR, "hardhat"), args, {
                cwd: here,
                env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: "true" },
            });
            node.command = `npx hardhat ${args.join(" ")}   (in bench/peers, hardhat.config.cjs, defaults: automine, chain id 31337)`;
            return node;
        },
    },
    ganache: {
        async start(port) {
            const args = [
                "--server.host", "127.0.0.1", "--server.port", String(port),
                "--chain.chainId", "1337",
                "--wallet.accounts", `${FUNDER_KEY},${parseEther("10000")}`,
                "--logging.quiet",
            ];
            const node = new NodeProcess("ganache", join(BIN_DIR, "ganache"), args);
            node.command = `npx ganache ${args.join(" ")}   (defaults otherwise: instamine eager)`;
            return node;
        },
    },
};

function versionOf(pkg) {
    try {
        // Read directly: some packages (ethers) do not export their package.json.
        return JSON.parse(readFileSync(join(here, "node_modules", pkg, "package.json"), "utf8")).version;
    } catch {
        return "?";
    }
}

// ---------------------------------------------------------------------------------------------
// JSON-RPC over HTTP

class BatchRefused extends Error {}
const STALE_SOCKET = ["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"];

class Rpc {
    constructor(url, timeoutMs = 120000) {
        this.url = url;
        this.timeoutMs = timeoutMs; // a node that never answers fails the run instead of hanging it
        this.nextId = 1;
    }

    async post(body) {
        let res;
        for (let attempt = 1; !res; attempt++) {
            try {
                res = await this.fetchOnce(body);
            } catch (e) {
                // A kept-alive connection the server closed while idle (Node's http server, which
                // Hardhat and ganache use, closes them after 5 s) fails the next request on it
                // before the server sees it: send again on a new one.
                if (STALE_SOCKET.includes(e.cause?.code) && attempt < 3) continue;
                // fetch says only "fetch failed"; the reason (reset, refused, ...) is in cause.
                if (e.name === "TimeoutError") throw new Error(`POST ${this.url}: no answer within ${this.timeoutMs} ms`);
                throw new Error(`POST ${this.url}: ${e.message}${e.cause ? ` (${e.cause.code ?? ""} ${e.cause.message ?? e.cause})` : ""}`);
            }
        }
        const text = await res.text();
        let json;
        try {
            json = JSON.parse(text);
        } catch {
            json = undefined;
        }
        return { status: res.status, json, text };
    }

    fetchOnce(body) {
        return fetch(this.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(this.timeoutMs),
        });
    }

    async call(method, params) {
        const { status, json, text } = await this.post({ jsonrpc: "2.0", id: this.nextId++, method, params });
        if (json?.error) throw new Error(`${method}: ${json.error.message} (code ${json.error.code})`);
        if (status !== 200 || !json || !("result" in json)) {
            throw new Error(`${method}: HTTP ${status}: ${text.slice(0, 300)}`);
        }
        return json.result;
    }

    // Sends [[method, params], ...] as one batch; returns one {result} or {error} per call, in
    // order. Throws BatchRefused when the server answers the batch as a whole with an error
    // (too many requests, body too large) instead of per call.
    async batch(calls) {
        const first = this.nextId;
        this.nextId += calls.length;
        const body = calls.map(([method, params], i) => ({ jsonrpc: "2.0", id: first + i, method, params }));
        const { status, json, text } = await this.post(body);
        if (!Array.isArray(json)) {
            const why = json?.error ? `${json.error.message} (code ${json.error.code})` : text.slice(0, 300);
            throw new BatchRefused(`HTTP ${status}: ${why}`);
        }
        const byId = new Map(json.map((r) => [r.id, r]));
        return body.map((req) => byId.get(req.id) ?? { error: { message: "no reply for this id in the batch" } });
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts and signing

class Account {
    constructor(key, chainId) {
        this.key = new SigningKey(key);
        this.address = computeAddress(this.key);
        this.chainId = chainId;
        this.nonce = 0n;
    }

    // Signs the next transaction from this account (type 2); returns {raw, hash}.
    sign({ to, value = 0n, data = "0x", gasLimit }) {
        const tx = Transaction.from({
            type: 2,
            chainId: this.chainId,
            nonce: Number(this.nonce++),
            to,
            value,
            data,
            gasLimit,
            maxFeePerGas: MAX_FEE,
            maxPriorityFeePerGas: PRIORITY_FEE,
        });
        tx.signature = this.key.sign(tx.unsignedHash);
        return { raw: tx.serialized, hash: tx.hash, from: this.address };
    }
}

// Fresh accounts, derived from a fixed seed so every run and every system uses the same ones.
function freshKeys(n) {
    return Array.from({ length: n }, (_, i) => keccakText(`honeycomb bench/peers sender ${i}`));
}

// ---------------------------------------------------------------------------------------------
// Submitting and watching

// Errors that mean "try again shortly", not "this transaction is bad".
// honeycomb: "txpool is full", "account has too many pending transactions". "Nonce too high":
// Hardhat's automine takes no transaction ahead of its sender's nonce ("can't be queued when
// automining"), and the calls of one batch, or batches in flight together, may reach it out of
// order; the earlier nonce is on its way, so send the later one again.
const RETRYABLE = /pool is full|too many pending|busy|try again later|nonce too high/i;
// After a resend, the node may already hold or have included the transaction.
const SEEN_BEFORE = /already known|known transaction|already imported|nonce too low/i;
const MAX_ATTEMPTS = 1000; // a transaction still refused as busy after this many sends counts as failed
// Errors that mean the node already has the transaction (a retry after a lost reply).
const ALREADY_KNOWN = /already known|known transaction|already imported|already in/i;

function percentile(sorted, p) {
    if (sorted.length === 0) return NaN;
    const rank = Math.ceil((p / 100) * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

// Sends `txs` ({raw, hash}, in order) and waits until each is in a block, has failed, or the
// timeout passes. Latency of a transaction = the moment its batch was first sent to the moment
// the watcher saw it in a block. The state object (batch size) persists across calls, so a size
// the node refused is not tried again.
async function submitAndWatch(rpc, txs, cfg, state, log) {
    const n = txs.length;
    const index = new Map(txs.map((t, i) => [t.hash.toLowerCase(), i]));
    const sentAt = new Float64Array(n).fill(NaN);
    const seenAt = new Float64Array(n).fill(NaN);
    const failed = new Map(); // index -> message
    const attempts = new Uint16Array(n);
    let included = 0;
    let firstSend = NaN;
    let lastSeen = NaN;
    let retries = 0;
    const settled = () => included + failed.size >= n;

    let watchedBlock = BigInt(await rpc.call("eth_blockNumber", []));
    let watchError = null;
    let sendingDone = false;
    let sendingDoneAt = NaN;
    let stopWatching = false;
    let missingSince = 0;

    const watcher = (async () => {
        while (!settled() && !stopWatching) {
            if (sendingDone && performance.now() - sendingDoneAt > cfg.timeoutS * 1000) break;
            try {
                const head = BigInt(await rpc.call("eth_blockNumber", []));
                scan: while (watchedBlock < head) {
                    const to = watchedBlock + 100n < head ? watchedBlock + 100n : head;
                    const calls = [];
                    for (let b = watchedBlock + 1n; b <= to; b++) calls.push(["eth_getBlockByNumber", [`0x${b.toString(16)}`, false]]);
                    const blocks = await rpc.batch(calls);
                    const now = performance.now();
                    for (const [k, r] of blocks.entries()) {
                        if (r.error) throw new Error(`eth_getBlockByNumber(${calls[k][1][0]}): ${r.error.message}`);
                        if (!r.result) {
                            // ganache reports a block number before that block can be read: read
                            // it on a later poll, and give up only if it stays missing.
                            missingSince ||= now;
                            if (now - missingSince > 10000) throw new Error(`eth_getBlockByNumber(${calls[k][1][0]}) still null 10 s after eth_blockNumber reported it`);
                            break scan;
                        }
                        missingSince = 0;
                        watchedBlock += 1n;
                        for (const h of r.result.transactions) {
                            const i = index.get((typeof h === "string" ? h : h.hash).toLowerCase());
                            if (i !== undefined && Number.isNaN(seenAt[i])) {
                                seenAt[i] = now;
                                included++;
                                lastSeen = now;
                                failed.delete(i); // sent again after an unclear reply, but it made it
                            }
                        }
                    }
                }
            } catch (e) {
                watchError = e;
                return;
            }
            await sleep(cfg.pollMs);
        }
    })();

    // Each sender's transactions go out in nonce order: one is posted only after the node has
    // accepted the one before it. Hardhat's automine refuses a nonce ahead of the account
    // ("can't be queued when automining") and ganache 7 may leave such a one queued for good
    // (ganache issues 4165, 4522), so without this the workload would not be the same everywhere.
    const accepted = new Uint8Array(n);
    const prev = new Int32Array(n).fill(-1); // index of the same sender's previous transaction
    {
        const last = new Map();
        txs.forEach((t, i) => {
            if (last.has(t.from)) prev[i] = last.get(t.from);
            last.set(t.from, i);
        });
    }
    let pending = txs.map((_, i) => i); // not yet accepted, in submission order
    let inFlight = 0;
    let wakers = [];
    const replied = () => {
        for (const w of wakers.splice(0)) w();
    };
    const nextReply = () => new Promise((r) => wakers.push(r));

    // Up to `max` transactions whose predecessor was accepted, from the front of `pending`.
    const take = (max) => {
        const items = [];
        const keep = [];
        const window = Math.min(pending.length, max * 8);
        for (let k = 0; k < window; k++) {
            const i = pending[k];
            const p = prev[i];
            if (p >= 0 && !accepted[p] && failed.has(p)) failed.set(i, "not sent: the node refused the same sender's previous nonce");
            else if (items.length < max && (p < 0 || accepted[p])) items.push(i);
            else keep.push(i);
        }
        pending = keep.concat(pending.slice(window));
        return items;
    };

    const sender = async () => {
        while (!watchError) {
            const items = pending.length ? take(state.batch) : [];
            if (items.length === 0) {
                if (inFlight === 0 && pending.length === 0) return;
                await (inFlight ? nextReply() : sleep(10));
                continue;
            }
            const t = performance.now();
            if (Number.isNaN(firstSend)) firstSend = t;
            for (const i of items) if (Number.isNaN(sentAt[i])) sentAt[i] = t;
            inFlight++;
            let replies;
            try {
                replies = await rpc.batch(items.map((i) => ["eth_sendRawTransaction", [txs[i].raw]]));
            } catch (e) {
                pending = items.concat(pending);
                if (e instanceof BatchRefused && state.batch > 1) {
                    const was = state.batch;
                    state.batch = Math.max(1, Math.floor(state.batch / 2));
                    log(`  the node refused a batch of ${was} requests (${e.message}); batch size is now ${state.batch}`);
                    state.refusals.push(`${was} refused: ${e.message}`);
                    continue;
                }
                throw e;
            } finally {
                inFlight--;
                replied();
            }
            const again = [];
            for (const [k, r] of replies.entries()) {
                const i = items[k];
                const msg = r.error ? (r.error.message ?? JSON.stringify(r.error)) : "";
                if (!r.error || ALREADY_KNOWN.test(msg) || (attempts[i] > 0 && SEEN_BEFORE.test(msg))) accepted[i] = 1;
                else if (RETRYABLE.test(msg) && ++attempts[i] < MAX_ATTEMPTS) again.push(i);
                else if (Number.isNaN(seenAt[i])) failed.set(i, msg);
            }
            if (again.length) {
                retries += again.length;
                pending = again.concat(pending);
                await sleep(50); // let the node work off its pool before trying those again
            }
        }
    };
    const senders = Array.from({ length: Math.min(cfg.concurrency, Math.ceil(n / state.batch)) }, sender);
    let sendError = null;
    try {
        await Promise.all(senders);
    } catch (e) {
        sendError = e;
        stopWatching = true;
    } finally {
        sendingDone = true;
        sendingDoneAt = performance.now();
    }
    await watcher;
    if (sendError) throw sendError;
    if (watchError) throw watchError;

    const latencies = [];
    for (let i = 0; i < n; i++) if (!Number.isNaN(seenAt[i])) latencies.push(seenAt[i] - sentAt[i]);
    latencies.sort((a, b) => a - b);
    const seconds = (lastSeen - firstSend) / 1000;
    return {
        txs: n,
        included,
        failed: failed.size,
        missing: n - included - failed.size,
        failures: [...new Set(failed.values())].slice(0, 3),
        retries,
        seconds,
        tps: included / seconds,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
    };
}

// Counts the receipts with status 1 (an included transaction may still have reverted).
async function countSucceeded(rpc, txs) {
    let ok = 0;
    for (let i = 0; i < txs.length; i += 100) {
        const replies = await rpc.batch(txs.slice(i, i + 100).map((t) => ["eth_getTransactionReceipt", [t.hash]]));
        for (const r of replies) if (r.result && BigInt(r.result.status) === 1n) ok++;
    }
    return ok;
}

// Untimed setup: sends txs in chunks the node's per-sender limit allows; every one must succeed.
async function settle(rpc, txs, cfg, state, what, log) {
    for (let i = 0; i < txs.length; i += SETUP_CHUNK) {
        const chunk = txs.slice(i, i + SETUP_CHUNK);
        const r = await submitAndWatch(rpc, chunk, cfg, state, log);
        if (r.included !== chunk.length) {
            throw new Error(`${what}: ${r.included} of ${chunk.length} transactions included; failures: ${r.failures.join("; ") || "none reported (timed out)"}`);
        }
        const ok = await countSucceeded(rpc, chunk);
        if (ok !== chunk.length) throw new Error(`${what}: ${chunk.length - ok} of ${chunk.length} transactions reverted`);
    }
}

// ---------------------------------------------------------------------------------------------
// Workloads: setup (untimed, may send transactions) returns the presigned timed transactions.

let compiled = null;
function compileToken() {
    if (compiled) return compiled;
    const solc = require("solc");
    if (!solc.version().startsWith(`${SOLC_VERSION}+`)) {
        throw new Error(`solc-js is ${solc.version()}, expected ${SOLC_VERSION}: run npm ci in bench/peers`);
    }
    const input = {
        language: "Solidity",
        sources: { "BenchToken.sol": { content: TOKEN_SOURCE } },
        settings: {
            evmVersion: EVM_VERSION,
            optimizer: { enabled: true, runs: 200 },
            outputSelection: { "BenchToken.sol": { BenchToken: ["abi", "evm.bytecode.object"] } },
        },
    };
    const findImport = (path) => {
        try {
            return { contents: readFileSync(require.resolve(path), "utf8") };
        } catch (e) {
            return { error: `import ${path}: ${e.code ?? e.message} (run npm ci in bench/peers)` };
        }
    };
    const out = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport }));
    const errors = (out.errors ?? []).filter((e) => e.severity === "error");
    if (errors.length) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join("\n")}`);
    const c = out.contracts["BenchToken.sol"].BenchToken;
    compiled = { iface: new Interface(c.abi), bytecode: `0x${c.evm.bytecode.object}` };
    return compiled;
}

const WORKLOADS = {
    transfer: {
        label: "W1 ETH transfer",
        async setup(ctx) {
            const { senders, cfg } = ctx;
            const txs = [];
            // Round-robin over senders, nonce by nonce, so every sender has work early on.
            for (let k = 0; k < cfg.txsPerSender; k++) {
                for (let s = 0; s < senders.length; s++) {
                    const to = senders[(s + 1) % senders.length].address;
                    txs.push(senders[s].sign({ to, value: TRANSFER_VALUE, gasLimit: TRANSFER_GAS }));
                }
            }
            return txs;
        },
    },
    erc20: {
        label: "W2 ERC20 transfer",
        async setup(ctx) {
            const { rpc, funder, senders, cfg, state, log } = ctx;
            const { iface, bytecode } = compileToken();
            const perSender = BigInt(cfg.txsPerSender) * 10n ** 18n;
            const supply = perSender * BigInt(senders.length);
            const token = getCreateAddress({ from: funder.address, nonce: funder.nonce });
            const deploy = funder.sign({ data: bytecode + iface.encodeDeploy([supply]).slice(2), gasLimit: DEPLOY_GAS });
            await settle(rpc, [deploy], cfg, state, "deploying the ERC20", log);
            const code = await rpc.call("eth_getCode", [token, "latest"]);
            if (code === "0x") throw new Error(`no code at the ERC20's address ${token} after its deployment`);
            const give = senders.map((s) =>
                funder.sign({ to: token, data: iface.encodeFunctionData("transfer", [s.address, perSender]), gasLimit: ERC20_TRANSFER_GAS }),
            );
            await settle(rpc, give, cfg, state, "giving tokens to the senders", log);
            const txs = [];
            const one = 10n ** 18n;
            for (let k = 0; k < cfg.txsPerSender; k++) {
                for (let s = 0; s < senders.length; s++) {
                    const data = iface.encodeFunctionData("transfer", [senders[(s + 1) % senders.length].address, one]);
                    txs.push(senders[s].sign({ to: token, data, gasLimit: ERC20_TRANSFER_GAS }));
                }
            }
            return txs;
        },
    },
};

// ---------------------------------------------------------------------------------------------
// One system

async function runSystem(name, cfg, log) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const results = [];
    const info = { system: name, command: "(not started)", url, refusals: [] };
    let node = null;
    try {
        node = await SYSTEMS[name].start(port);
        info.command = node.command;
        log(`\n== ${name}: ${node.command}`);
        node.start();
        const started = performance.now();
        const chainId = await node.ready(url);
        info.chainId = chainId.toString();
        info.clientVersion = await new Rpc(url).call("web3_clientVersion", []).catch((e) => `? (${e.message})`);
        log(`  up in ${((performance.now() - started) / 1000).toFixed(1)} s: chain id ${chainId}, ${info.clientVersion}`);

        const rpc = new Rpc(url, cfg.timeoutS * 1000);
        const state = { batch: cfg.batch, refusals: info.refusals };
        const funder = new Account(FUNDER_KEY, chainId);
        funder.nonce = BigInt(await rpc.call("eth_getTransactionCount", [funder.address, "pending"]));
        const senders = freshKeys(cfg.senders).map((k) => new Account(k, chainId));

        // Enough for every workload's fees at MAX_FEE and W1's values, twice over.
        const gasPerSender = BigInt(cfg.txsPerSender) * (TRANSFER_GAS + ERC20_TRANSFER_GAS);
        const fund = 2n * (gasPerSender * MAX_FEE + BigInt(cfg.txsPerSender) * TRANSFER_VALUE);
        const balance = BigInt(await rpc.call("eth_getBalance", [funder.address, "latest"]));
        const need = fund * BigInt(senders.length) + DEPLOY_GAS * MAX_FEE * 10n;
        if (balance < need) {
            throw new Error(`funder ${funder.address} holds ${balance} wei, the run needs about ${need}: use fewer --senders or --txs-per-sender`);
        }
        const t = performance.now();
        await settle(rpc, senders.map((s) => funder.sign({ to: s.address, value: fund, gasLimit: TRANSFER_GAS })), cfg, state, "funding the senders", log);
        log(`  funded ${senders.length} senders in ${((performance.now() - t) / 1000).toFixed(1)} s`);

        for (const w of cfg.workloads) {
            const ctx = { rpc, funder, senders, cfg, state, log };
            const ts = performance.now();
            const txs = await WORKLOADS[w].setup(ctx);
            log(`  ${WORKLOADS[w].label}: set up and presigned ${txs.length} transactions in ${((performance.now() - ts) / 1000).toFixed(1)} s; sending`);
            const r = await submitAndWatch(rpc, txs, cfg, state, log);
            r.succeeded = await countSucceeded(rpc, txs);
            r.batch = state.batch;
            log(`  ${WORKLOADS[w].label}: ${r.included}/${r.txs} included (${r.succeeded} succeeded) in ${r.seconds.toFixed(2)} s: ` +
                `${r.tps.toFixed(1)} tx/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms` +
                (r.failed ? `; ${r.failed} refused: ${r.failures.join("; ")}` : "") +
                (r.missing ? `; ${r.missing} not included within --timeout-s` : "") +
                (r.retries ? `; ${r.retries} resent after a transient refusal (pool busy, nonce ahead)` : ""));
            results.push({ system: name, workload: w, ...r });
        }
    } catch (e) {
        info.error = e.message;
        log(`  ${name} FAILED: ${e.message}`);
    } finally {
        await node?.stop();
        await node?.cleanup?.();
    }
    return { info, results };
}

// ---------------------------------------------------------------------------------------------
// Main

function fmt(x, digits) {
    return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

function table(rows) {
    const head = ["system", "workload", "txs", "included", "ok", "TPS", "p50 ms", "p99 ms"];
    const body = rows.map((r) => [
        r.system,
        WORKLOADS[r.workload]?.label ?? r.workload,
        r.txs ?? "-",
        r.included ?? "-",
        r.succeeded ?? "-",
        fmt(r.tps, 1),
        fmt(r.p50, 1),
        fmt(r.p99, 1),
    ].map(String));
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

async function main() {
    const cfg = parseOptions();
    const log = (s) => console.log(s);
    const cpu = cpus();
    log(`bench/peers: ${cfg.senders} senders x ${cfg.txsPerSender} txs = ${cfg.senders * cfg.txsPerSender} presigned transactions per workload per system`);
    log(`submission: eth_sendRawTransaction in JSON-RPC batches of ${cfg.batch}, ${cfg.concurrency} batches in flight; blocks watched every ${cfg.pollMs} ms`);
    log(`machine: ${cpu.length} x ${cpu[0]?.model ?? "?"}, node ${process.version}; hardhat ${versionOf("hardhat")}, ganache ${versionOf("ganache")}, ethers ${versionOf("ethers")}, solc ${versionOf("solc")}, @openzeppelin/contracts ${versionOf("@openzeppelin/contracts")}`);
    log(`command: node peers.mjs ${process.argv.slice(2).join(" ")}`.trimEnd());

    // Compiled once up front, outside any system's timing and setup.
    if (cfg.workloads.includes("erc20")) {
        const t = performance.now();
        compileToken();
        log(`compiled BenchToken (OpenZeppelin ERC20, solc ${SOLC_VERSION}, evm ${EVM_VERSION}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }

    const all = [];
    const infos = [];
    for (const name of cfg.systems) {
        const { info, results } = await runSystem(name, cfg, log);
        infos.push(info);
        if (results.length) all.push(...results);
        for (const w of cfg.workloads) {
            if (!results.some((r) => r.workload === w)) all.push({ system: name, workload: w, failedToRun: true });
        }
    }

    log("\nsystems:");
    for (const i of infos) {
        log(`  ${i.system}: ${i.command}`);
        if (i.clientVersion) log(`    client ${i.clientVersion}, chain id ${i.chainId}`);
        if (i.refusals.length) log(`    batch refusals: ${i.refusals.join("; ")}`);
        if (i.error) log(`    FAILED: ${i.error.split("\n")[0]}`);
    }
    log(`\nTPS = transactions included / (time the watcher saw the last one in a block - first submission); ` +
        `latency = first submission of its batch -> watcher sees it in a block (resolution ~${cfg.pollMs} ms)\n`);
    log(table(all));
    if (cfg.json) {
        writeFileSync(cfg.json, JSON.stringify({ config: cfg, systems: infos, results: all }, null, 2));
        log(`\nresults written to ${cfg.json}`);
    }
    const ok = infos.every((i) => !i.error) && all.every((r) => !r.failedToRun && r.included === r.txs);
    process.exitCode = ok ? 0 : 1;
}

await main();
