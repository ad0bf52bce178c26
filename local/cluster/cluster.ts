// A real Kubernetes API server on this machine (etcd + kube-apiserver, the envtest pair: no nodes, no controllers), and the kubectl and Helm CLIs pointed at it.
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, ServiceProcess, waitForPort } from "../process";
import { type ClusterBinaries, clusterBinaries } from "./build";

/** What a test worker needs to reach a running harness: plain data, so a global setup can hand it to test files. */
export interface ClusterConnection {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** A kubeconfig file whose one context reaches `server` as a member of `system:masters`. */
  kubeconfig: string;
  /** PEM of the API server's self-signed serving certificate chain (trusted by `kubeconfig`). */
  caFile: string;
  /** Bearer token of the `system:masters` user. */
  token: string;
  binaries: ClusterBinaries;
  /** Scratch folder of the harness (kubectl's discovery cache, Helm's folders); removed when the harness stops. */
  workDir: string;
}

/** The API server's `/version` answer (k8s.io/apimachinery/pkg/version.Info). */
export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
  goVersion: string;
  platform: string;
}

/** The result of one kubectl or helm run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How long etcd and the API server may take to start on a slow machine (they take about 2 s). */
const START_TIMEOUT_MS = 60_000;

/**
 * Runs kubectl and Helm against a running harness. Each run gets an environment of its own: the harness's kubeconfig,
 * and kubectl's and Helm's caches and settings inside the harness's folder, so the user's `~/.kube` and Helm
 * repositories are neither read nor written.
 */
export class ClusterClient {
  constructor(readonly connection: ClusterConnection) {}

  private env(): NodeJS.ProcessEnv {
    const dir = this.connection.workDir;
    return {
      PATH: process.env.PATH,
      HOME: path.join(dir, "home"),
      KUBECONFIG: this.connection.kubeconfig,
      KUBECACHEDIR: path.join(dir, "kube-cache"),
      HELM_CACHE_HOME: path.join(dir, "helm", "cache"),
      HELM_CONFIG_HOME: path.join(dir, "helm", "config"),
      HELM_DATA_HOME: path.join(dir, "helm", "data"),
    };
  }

  private run(program: string, args: readonly string[], input?: string): Promise<CliResult> {
    return new Promise((resolve) => {
      const child = execFile(
        program,
        args,
        { env: this.env(), maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({
            code,
            stdout,
            stderr: error && typeof error.code !== "number" ? `${stderr}${error.message}` : stderr,
          });
        },
      );
      child.stdin?.end(input ?? "");
    });
  }

  /** Runs kubectl (built from the same Kubernetes release as the server) with `args`, `input` on its stdin. */
  kubectl(args: readonly string[], input?: string): Promise<CliResult> {
    return this.run(this.connection.binaries.kubectl, args, input);
  }

  /** Runs the Helm CLI with `args`. */
  helm(args: readonly string[]): Promise<CliResult> {
    return this.run(this.connection.binaries.helm, args);
  }

  /** GET `apiPath` on the API server as the `system:masters` user; resolves to the parsed JSON body. Throws on non-2xx. */
  async getJson<T>(apiPath: string): Promise<T> {
    const ca = await readFile(this.connection.caFile);
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(apiPath, this.connection.server),
        { ca, headers: { authorization: `Bearer ${this.connection.token}` } },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => {
            if (res.statusCode && res.statusCode >= 200 && res.statusCode < 300) resolve(JSON.parse(body) as T);
            else reject(new Error(`GET ${apiPath}: HTTP ${res.statusCode}: ${body.trim()}`));
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  /** The server's `/version`. */
  version(): Promise<ServerVersion> {
    return this.getJson<ServerVersion>("/version");
  }
}

export interface StartOptions {
  /** The programs to run; default: {@link clusterBinaries} (the environment's, else the cached builds). */
  binaries?: ClusterBinaries;
  /** Progress lines (ports, readiness); default: none. */
  log?: (line: string) => void;
}

/**
 * etcd and kube-apiserver on free loopback ports, with RBAC authorization, a static bearer token in the group
 * `system:masters` and a service-account key pair generated here. Nothing schedules or runs pods: objects are stored,
 * defaulted, validated (OpenAPI schemas, CRD schemas and their CEL rules) and admitted (Pod Security admission among
 * the default plugins) exactly as on a real cluster. The flags follow the envtest pair of
 * sigs.k8s.io/controller-runtime (pkg/internal/testing/controlplane) and FACTS.md.
 */
export class ClusterHarness {
  readonly client: ClusterClient;

  private constructor(
    readonly connection: ClusterConnection,
    private readonly etcd: ServiceProcess,
    private readonly apiserver: ServiceProcess,
  ) {
    this.client = new ClusterClient(connection);
  }

  /**
   * Starts etcd, then the API server, and resolves once `/readyz` answers ok. Throws with the tail of the failing
   * process's log when either exits or is not ready within a minute; whatever started is stopped again.
   */
  static async start(options: StartOptions = {}): Promise<ClusterHarness> {
    const log = options.log ?? (() => {});
    const binaries = options.binaries ?? (await clusterBinaries());
    const workDir = mkdtempSync(path.join(tmpdir(), "cluster-"));
    const started: ServiceProcess[] = [];
    try {
      const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
      const etcd = ServiceProcess.start({
        name: "etcd",
        command: binaries.etcd,
        args: [
          "--name=default",
          `--data-dir=${path.join(workDir, "etcd")}`,
          `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
          `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
          `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
          // A throwaway store: durability across power loss is not wanted, and fsync dominates on slow disks.
          "--unsafe-no-fsync",
          "--log-level=warn",
        ],
        logFile: path.join(workDir, "etcd.log"),
      });
      started.push(etcd);
      await untilReady(etcd, () => waitForPort("127.0.0.1", etcdPort, START_TIMEOUT_MS));

      const files = await writeCredentials(workDir);
      const apiserver = ServiceProcess.start({
        name: "kube-apiserver",
        command: binaries.kubeApiserver,
        args: [
          `--etcd-servers=http://127.0.0.1:${etcdPort}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${apiPort}`,
          `--cert-dir=${path.join(workDir, "certs")}`,
          "--service-account-issuer=https://kubernetes.default.svc",
          `--service-account-key-file=${files.publicKey}`,
          `--service-account-signing-key-file=${files.privateKey}`,
          `--token-auth-file=${files.tokens}`,
          "--authorization-mode=RBAC",
          "--service-cluster-ip-range=10.0.0.0/24",
          "--allow-privileged=true",
        ],
        logFile: path.join(workDir, "kube-apiserver.log"),
      });
      started.push(apiserver);
      const server = `https://127.0.0.1:${apiPort}`;
      // The API server writes its self-signed serving certificate (and the CA that signed it) into --cert-dir.
      const caFile = path.join(workDir, "certs", "apiserver.crt");
      await untilReady(apiserver, () => waitForReadyz(server, caFile, files.token));
      const connection: ClusterConnection = {
        server,
        kubeconfig: await writeKubeconfig(workDir, server, caFile, files.token),
        caFile,
        token: files.token,
        binaries,
        workDir,
      };
      log(`kube-apiserver ready at ${server} (etcd at http://127.0.0.1:${etcdPort})`);
      return new ClusterHarness(connection, etcd, apiserver);
    } catch (error) {
      for (const service of started.reverse()) await service.stop();
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops the API server, then etcd (each SIGTERM, then SIGKILL after 15 s), and removes the harness's folder. */
  async stop(): Promise<void> {
    await this.apiserver.stop();
    await this.etcd.stop();
    await rm(this.connection.workDir, { recursive: true, force: true });
  }
}

/** Waits for `ready`, failing at once with the process's log when the process exits first. */
async function untilReady(service: ServiceProcess, ready: () => Promise<void>): Promise<void> {
  const exited = service.exited.then(async (code) => {
    throw new Error(
      `${service.options.name} exited with ${code} while starting:\n${await service.logTail()}\n(log: ${service.options.logFile})`,
    );
  });
  try {
    await Promise.race([ready(), exited]);
  } catch (error) {
    if (service.running)
      throw new Error(`${(error as Error).message}\n${service.options.name} log:\n${await service.logTail()}`);
    throw error;
  } finally {
    exited.catch(() => {});
  }
}

/** The static token file (CSV `token,user,uid,"groups"`) and an RSA key pair for signing service-account tokens. */
async function writeCredentials(workDir: string) {
  const token = randomBytes(24).toString("hex");
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const dir = path.join(workDir, "credentials");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = {
    token,
    tokens: path.join(dir, "tokens.csv"),
    publicKey: path.join(dir, "sa.pub"),
    privateKey: path.join(dir, "sa.key"),
  };
  await writeFile(files.tokens, `${token},cluster-admin,cluster-admin,"system:masters"\n`, { mode: 0o600 });
  await writeFile(files.publicKey, publicKey);
  await writeFile(files.privateKey, privateKey, { mode: 0o600 });
  return files;
}

/** Polls `/readyz` (every 200 ms) until it answers 200, or throws after {@link START_TIMEOUT_MS}. */
async function waitForReadyz(server: string, caFile: string, token: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = "no answer";
  for (;;) {
    const answer = await readFile(caFile).then(
      (ca) =>
        new Promise<string>((resolve) => {
          const req = request(
            new URL("/readyz", server),
            { ca, headers: { authorization: `Bearer ${token}` } },
            (res) => {
              res.resume();
              res.on("end", () => resolve(String(res.statusCode)));
            },
          );
          req.on("error", (error) => resolve(error.message));
          req.end();
        }),
      () => "no serving certificate yet",
    );
    if (answer === "200") return;
    last = answer;
    if (Date.now() > deadline) throw new Error(`kube-apiserver not ready after ${START_TIMEOUT_MS / 1000} s: ${last}`);
    await sleep(200);
  }
}

/** A kubeconfig with one cluster, user and context (`harness`), trusting the server's own certificate chain. */
async function writeKubeconfig(workDir: string, server: string, caFile: string, token: string): Promise<string> {
  const ca = (await readFile(caFile)).toString("base64");
  const file = path.join(workDir, "kubeconfig");
  // JSON is YAML: kubectl and Helm read it as a kubeconfig.
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "harness", cluster: { server, "certificate-authority-data": ca } }],
    users: [{ name: "harness", user: { token } }],
    contexts: [{ name: "harness", context: { cluster: "harness", user: "harness" } }],
    "current-context": "harness",
  };
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await mkdir(path.join(workDir, "home"), { recursive: true });
  return file;
}
