// Shared pieces of the end-to-end tests: the ethers import, the dev chain's constants and
// development keys, starting and stopping `honeycomb dev` or a consortium network
// (`honeycomb up`), and waiting with timeouts.
//
// Each test file runs in its own process (node --test) and starts its own node (or network) on
// free ports with a fresh data directory. The binary comes from HONEYCOMB_BIN (default:
// build/release/honeycomb).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

async function loadEthers() {
    try {
        return await import("ethers");
    } catch (e) {
        throw new Error(
            `ethers is not installed for the end-to-end tests (${e.code ?? e.message}).\n` +
                "Run `npm ci --prefix tests/e2e` from the repository root (or `make test`, " +
                "which does it for you), then run the tests again.",
        );
    }
}
export const ethers = await loadEthers();
const { JsonRpcProvider, WebSocketProvider, Wallet, isError, parseEther } = ethers;

export const HONEYCOMB_BIN = resolve(
    process.env.HONEYCOMB_BIN ?? join(here, "..", "..", "build", "release", "honeycomb"),
);
export const CHAIN_ID = 1337n;
export const GWEI = 10n ** 9n;
export const BASE_FEE = 1n * GWEI; // the default --min-gas-price, which is also the constant base fee
export const PREFUND = parseEther("10000");
export const TRANSFER_GAS = 21000n;
export const BLOCK_GAS_LIMIT = 30000000n;
export const STEP_TIMEOUT_MS = 20000; // any single wait (receipt, event) longer than this fails

// The well-known development keys (the Hardhat / Anvil set) the dev chain prefunds.
export const DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];
export const DEV_ADDRESSES = DEV_KEYS.map((k) => new Wallet(k).address);

// ---------------------------------------------------------------------------------------------
// Waiting and errors

const running = new Set(); // nodes of this process, whose output goes into timeout messages

function tail(text, lines = 40) {
    return text.split("\n").slice(-lines).join("\n");
}

function allNodeOutput() {
    return [...running].map((n) => n.output()).join("\n");
}

export function freePort() {
    return new Promise((resolvePort, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address();
            srv.close(() => resolvePort(port));
        });
    });
}

// Rejects with a message naming `what` if `promise` does not settle within `ms`.
export function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(
            () => reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${allNodeOutput()}`)),
            ms,
        );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The node's own error message inside an ethers error, wherever ethers put it.
// Event-driven waiting: call notify() whenever new events arrive; waitFor(pred, what) settles
// once pred() holds, and fails after STEP_TIMEOUT_MS naming `what`.
export function eventWaiter() {
    const waiters = [];
    const notify = () => {
        for (const w of waiters.splice(0)) w();
    };
    const waitFor = (pred, what) =>
        withTimeout(
            new Promise((res) => {
                const check = () => (pred() ? res() : waiters.push(check));
                check();
            }),
            STEP_TIMEOUT_MS,
            what,
        );
    return { notify, waitFor };
}

export function nodeMessage(e) {
    return e?.info?.error?.message ?? e?.error?.message ?? e?.info?.info?.error?.message ?? "";
}

export function describeError(e) {
    return `ethers code ${e?.code}, message ${JSON.stringify(e?.shortMessage ?? e?.message)}, ` +
        `node message ${JSON.stringify(nodeMessage(e))}`;
}

// Expects `promise` to reject with an ethers error of `code`; returns that error.
export async function expectEthersError(promise, code, what) {
    let result;
    try {
        result = await withTimeout(promise, STEP_TIMEOUT_MS, what);
    } catch (e) {
        assert.ok(isError(e, code), `${what}: expected ethers error ${code}, got ${describeError(e)}`);
        return e;
    }
    assert.fail(`${what}: expected ethers error ${code}, but it succeeded: ${JSON.stringify(result?.hash ?? result)}`);
}

// Waits for the receipt of a sent transaction and expects it to have succeeded.
export async function waitReceipt(tx, what) {
    const receipt = await withTimeout(tx.wait(), STEP_TIMEOUT_MS, `receipt of ${what} ${tx.hash}`);
    assert.ok(receipt, `no receipt for ${what} ${tx.hash}`);
    assert.equal(receipt.status, 1, `${what} ${tx.hash} failed (status ${receipt.status})`);
    return receipt;
}

// cacheTimeout -1: by default ethers answers a repeated identical request (a balance or a
// "pending" nonce) from a 250 ms cache, which would hide the very changes the tests check.
export function httpProvider(url) {
    return new JsonRpcProvider(url, undefined, { pollingInterval: 100, cacheTimeout: -1 });
}

export function wsProvider(url) {
    return new WebSocketProvider(url, undefined, { cacheTimeout: -1 });
}

// ---------------------------------------------------------------------------------------------
// The node

// One `honeycomb dev` process with its own data directory and port.
// One honeycomb process that serves JSON-RPC (`honeycomb dev`, `honeycomb node`): start() waits
// for its "JSON-RPC listening" line and sets httpUrl and wsUrl; stop() sends SIGTERM and expects
// a clean exit.
export class ProcessNode {
    constructor(args, what = `honeycomb ${args?.[0]}`) {
        this.args = args;
        this.what = what;
        this.child = null;
        this.stdout = "";
        this.stderr = "";
        this.exit = null;
        this.httpUrl = null;
        this.wsUrl = null;
    }

    output() {
        return (
            `--- ${this.what} stderr (tail) ---\n${tail(this.stderr)}\n` +
            `--- ${this.what} stdout (tail) ---\n${tail(this.stdout)}`
        );
    }

    async start() {
        if (!existsSync(HONEYCOMB_BIN)) {
            throw new Error(
                `honeycomb binary not found at ${HONEYCOMB_BIN}: build it first ` +
                    "(cmake --build --preset release) or point HONEYCOMB_BIN at it",
            );
        }
        const child = spawn(HONEYCOMB_BIN, this.args, { stdio: ["ignore", "pipe", "pipe"] });
        this.child = child;
        running.add(this);
        this.exited = new Promise((res) => {
            child.on("exit", (code, signal) => {
                this.exit = { code, signal };
                res(this.exit);
            });
        });
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (d) => (this.stderr += d));

        const ready = new Promise((res, reject) => {
            child.stdout.on("data", (d) => {
                this.stdout += d;
                const m = this.stdout.match(/JSON-RPC listening on (http:\/\/\S+) and (ws:\/\/\S+)/);
                if (m) res({ http: m[1], ws: m[2] });
            });
            child.on("error", (e) =>
                reject(new Error(`could not start ${HONEYCOMB_BIN}: ${e.message}`)),
            );
            child.on("exit", (code, signal) =>
                reject(
                    new Error(
                        `${this.what} exited before serving JSON-RPC (code ${code}, signal ${signal})\n` +
                            this.output(),
                    ),
                ),
            );
        });
        const urls = await withTimeout(ready, 30000, `the "JSON-RPC listening" line from ${this.what}`);
        this.httpUrl = urls.http;
        this.wsUrl = urls.ws;
    }

    // SIGTERM, then wait for the exit; SIGKILL only if it hangs (and fail). Expects a clean exit
    // (code 0) if the process was started.
    async stop() {
        const exit = await this.#terminate();
        running.delete(this);
        if (exit) {
            assert.deepEqual(
                exit,
                { code: 0, signal: null },
                `${this.what} must exit cleanly (code 0) on SIGTERM\n${this.output()}`,
            );
        }
    }

    async #terminate() {
        const child = this.child;
        if (!child || this.exit) return this.exit;
        child.kill("SIGTERM");
        let timer;
        const hung = new Promise((res) => (timer = setTimeout(() => res(null), 20000)));
        const exit = await Promise.race([this.exited, hung]);
        clearTimeout(timer);
        if (!exit) {
            child.kill("SIGKILL");
            await this.exited;
            throw new Error(`${this.what} did not exit within 20 s of SIGTERM\n${this.output()}`);
        }
        return exit;
    }
}

// `honeycomb dev` in a fresh temporary data directory on a free port.
export class DevNode extends ProcessNode {
    constructor({ coinbase }) {
        super(null, "honeycomb dev");
        this.coinbase = coinbase;
        this.dataDir = null;
    }

    async start() {
        const port = await freePort();
        this.dataDir = await mkdtemp(join(tmpdir(), "honeycomb-e2e-"));
        this.args = [
            "dev",
            "--data-dir", this.dataDir,
            "--rpc-addr", `127.0.0.1:${port}`,
            "--coinbase", this.coinbase,
            "--quiet",
        ];
        await super.start();
    }

    // Stops the node (see ProcessNode), then removes its data directory.
    async stop() {
        try {
            await super.stop();
        } finally {
            if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A consortium network

// The first of `count` consecutive ports that are free on 127.0.0.1 now: a random range (so
// parallel test processes rarely collide) below Linux's ephemeral ports (32768 up), which
// outgoing connections take meanwhile.
export async function freePortRange(count) {
    const isFree = (port) =>
        new Promise((res) => {
            const srv = net.createServer();
            srv.unref();
            srv.once("error", () => res(false));
            srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
        });
    for (let attempt = 0; attempt < 50; ++attempt) {
        const base = 20000 + Math.floor(Math.random() * (12000 - count));
        let free = true;
        for (let p = base; p < base + count && free; ++p) free = await isFree(p);
        if (free) return base;
    }
    throw new Error(`no range of ${count} free ports on 127.0.0.1 after 50 tries`);
}

// Sends one JSON-RPC request with fetch; resolves to the result, rejects with the error.
export async function rpcCall(url, method, params = []) {
    const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = await res.json();
    if (body.error) throw new Error(`${method} at ${url}: ${JSON.stringify(body.error)}`);
    return body.result;
}

// `honeycomb up --orgs N` in a fresh temporary directory on free ports: N organisations with one
// node each. start() waits until every node answers JSON-RPC; stop() sends Ctrl-C (SIGINT) and
// expects a clean exit of the supervisor and its nodes.
export class ConsortiumNetwork {
    constructor({ orgs = 4 } = {}) {
        this.orgs = orgs;
        this.child = null;
        this.stdout = "";
        this.stderr = "";
        this.exit = null;
        this.tmp = null;
        this.dir = null; // the network directory: genesis.json, orgs/, nodes/
        this.rpcUrls = []; // one per node, org1's first
        this.nodeNames = [];
    }

    output() {
        let logs = "";
        for (const name of this.nodeNames) {
            try {
                logs += `--- ${name} node.log (tail) ---\n` +
                    `${tail(readFileSync(join(this.dir, "nodes", name, "node.log"), "utf8"), 15)}\n`;
            } catch {
                // no log yet
            }
        }
        return (
            `--- honeycomb up stderr (tail) ---\n${tail(this.stderr)}\n` +
            `--- honeycomb up stdout (tail) ---\n${tail(this.stdout)}\n${logs}`
        );
    }

    // The private key of organisation `org`'s admin ("org1" ...), from orgs/<org>/admin.key.
    adminKey(org) {
        return readFileSync(join(this.dir, "orgs", org, "admin.key"), "utf8").trim();
    }

    async start() {
        if (!existsSync(HONEYCOMB_BIN)) {
            throw new Error(
                `honeycomb binary not found at ${HONEYCOMB_BIN}: build it first ` +
                    "(cmake --build --preset release) or point HONEYCOMB_BIN at it",
            );
        }
        const base = await freePortRange(2 * this.orgs);
        this.tmp = await mkdtemp(join(tmpdir(), "honeycomb-e2e-net-"));
        this.dir = join(this.tmp, "net");
        const args = [
            "up",
            "--orgs", String(this.orgs),
            "--dir", this.dir,
            "--base-port", String(base),
            "--rpc-port", String(base + this.orgs),
        ];
        const child = spawn(HONEYCOMB_BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
        this.child = child;
        running.add(this);
        this.exited = new Promise((res) => {
            child.on("exit", (code, signal) => {
                this.exit = { code, signal };
                res(this.exit);
            });
        });
        child.stdout.setEncoding("utf8");
        child.stderr.setEncoding("utf8");
        child.stderr.on("data", (d) => (this.stderr += d));

        // The endpoint list `up` prints once it has started every node:
        //   consortium network up (chain id 1337), JSON-RPC endpoints:
        //     org1-node1  http://127.0.0.1:8545  log ...
        //   Ctrl-C stops every node.
        const listed = new Promise((res, reject) => {
            child.stdout.on("data", (d) => {
                this.stdout += d;
                const m = this.stdout.match(/JSON-RPC endpoints:\n([\s\S]*?)Ctrl-C stops every node\./);
                if (m) res([...m[1].matchAll(/^\s*(\S+)\s+(http:\/\/\S+)/gm)].map((e) => [e[1], e[2]]));
            });
            child.on("error", (e) => reject(new Error(`could not start ${HONEYCOMB_BIN}: ${e.message}`)));
            child.on("exit", (code, signal) =>
                reject(
                    new Error(
                        `honeycomb up exited before listing its nodes (code ${code}, signal ${signal})\n` +
                            this.output(),
                    ),
                ),
            );
        });
        const endpoints = await withTimeout(listed, 60000, "the JSON-RPC endpoint list from honeycomb up");
        this.nodeNames = endpoints.map(([name]) => name);
        this.rpcUrls = endpoints.map(([, url]) => url);
        assert.equal(this.rpcUrls.length, this.orgs, `honeycomb up listed ${this.rpcUrls.length} nodes:\n${this.stdout}`);

        // The nodes open their JSON-RPC ports a moment after they start.
        const answers = async (url) => {
            for (;;) {
                if (this.exit) throw new Error(`honeycomb up exited while its nodes started\n${this.output()}`);
                try {
                    return await rpcCall(url, "eth_chainId");
                } catch {
                    await new Promise((r) => setTimeout(r, 200));
                }
            }
        };
        await withTimeout(Promise.all(this.rpcUrls.map(answers)), 60000, "every node of the network to answer eth_chainId");
    }

    // Ctrl-C, then wait for the exit; SIGKILL only if it hangs (and fail). Removes the
    // directory, then expects a clean exit (code 0) if the network was started.
    async stop() {
        const exit = await this.#terminate();
        const out = this.output();
        // HONEYCOMB_E2E_KEEP=1 keeps the network directory (logs, data) for a look afterwards.
        if (this.tmp && !process.env.HONEYCOMB_E2E_KEEP) await rm(this.tmp, { recursive: true, force: true });
        running.delete(this);
        if (exit) {
            assert.deepEqual(exit, { code: 0, signal: null }, `honeycomb up must exit cleanly (code 0) on Ctrl-C\n${out}`);
            assert.match(this.stdout, /stopping the network/, `honeycomb up did not stop its nodes\n${out}`);
        }
    }

    async #terminate() {
        const child = this.child;
        if (!child || this.exit) return this.exit;
        child.kill("SIGINT");
        let timer;
        const hung = new Promise((res) => (timer = setTimeout(() => res(null), 60000)));
        const exit = await Promise.race([this.exited, hung]);
        clearTimeout(timer);
        if (!exit) {
            const out = this.output();
            child.kill("SIGKILL");
            await this.exited;
            throw new Error(`honeycomb up did not exit within 60 s of Ctrl-C (its nodes may still run)\n${out}`);
        }
        return exit;
    }
}
