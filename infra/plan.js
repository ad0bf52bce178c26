#!/usr/bin/env node
// `npm run plan -- --stack <dev|prod> [--out DIR] [--config-file FILE] [--program FILE]`: runs the Pulumi program offline under Pulumi's mock
// runtime, loaded by Pulumi's own Node.js language host code, and writes every Kubernetes object and Pulumi resource.
// @ts-check
// Plain JavaScript on purpose: a TypeScript loader here would register itself before Pulumi's ts-node does, and the
// program must load exactly as `pulumi up` loads it.

const { createHash } = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { parseArgs } = require("node:util");
const YAML = require("yaml");

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const MASK = "[secret]";

function usage(message) {
  process.stderr.write(
    `${message}\nUsage: npm run plan -- --stack <dev|prod> [--out DIR] [--config-file FILE] [--program FILE]\n`,
  );
  process.exit(2);
}

/** The CLI's view of a stack file: `PULUMI_CONFIG` (objects as JSON text) and the secret keys, whose values are placeholders. */
function stackConfig(project, file) {
  const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
  const config = {};
  const secretKeys = [];
  for (const [rawKey, value] of Object.entries(doc.config ?? {})) {
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    if (value && typeof value === "object" && "secure" in value) {
      // The plan cannot decrypt; a recognisable placeholder lets tests prove the value never leaks unmasked.
      config[key] = `plan-secret(${key})`;
      secretKeys.push(key);
    } else {
      config[key] = typeof value === "object" ? JSON.stringify(value) : String(value);
    }
  }
  return { config, secretKeys };
}

/** The resource type of `@pulumi/docker-build`'s Image. */
const IMAGE_TYPE = "docker-build:index:Image";

/**
 * The mock's stand-in for a pushed image's digest and `ref` (`<first tag>@<digest>`): a sha256 of the build's inputs
 * (context, Dockerfile, build arguments, platforms, tags), so the same program plans the same reference and a change to
 * what is built plans another. Only the real provider knows the digest, which follows the built files themselves.
 */
function mockImageOutputs(inputs) {
  const { context, dockerfile, buildArgs, platforms, tags } = inputs;
  const built = JSON.stringify({ context, dockerfile, buildArgs, platforms, tags });
  const digest = `sha256:${createHash("sha256").update(built).digest("hex")}`;
  return { digest, ref: `${(tags ?? [])[0]}@${digest}` };
}

/** Outputs a real provider would return that the program reads; everything else echoes the inputs. */
function mockState(type, name, inputs) {
  switch (type) {
    case IMAGE_TYPE:
      return { ...inputs, ...mockImageOutputs(inputs) };
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: `plan-secret(random:${name})` };
    case "random:index/randomBytes:RandomBytes":
      return { ...inputs, base64: `plan-secret(random:${name})`, hex: `plan-secret(random:${name}:hex)` };
    case "tls:index/privateKey:PrivateKey":
      return {
        ...inputs,
        privateKeyPem: `plan-secret(tls:${name})`,
        privateKeyPemPkcs8: `plan-secret(tls:${name}:pkcs8)`,
        publicKeyPem: `plan-public-key(${name})`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { ...inputs, certPem: `plan-certificate(${name})` };
    case "kubernetes:helm.sh/v3:Release":
      return { ...inputs, status: { status: "deployed", namespace: inputs.namespace, name: inputs.name } };
    default:
      return inputs;
  }
}

/** A secret's shape without its values: a secret map keeps its keys, so manifests stay valid and readable. */
function maskLeaves(value) {
  if (Array.isArray(value)) return value.map(maskLeaves);
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskLeaves(v)]));
  return MASK;
}

/** Replaces every secret-wrapped value by a mask; secrets are what the SDK marked secret, nothing is guessed. */
function maskSecrets(value) {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === "object") {
    if (value[SECRET_SIG] === SECRET_VALUE) return maskLeaves(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
  }
  return value;
}

/** Kubernetes objects as `kubectl apply` would receive them; Secret values are always redacted. */
function manifestOf(resource) {
  const { type, inputs } = resource;
  if (
    !type.startsWith("kubernetes:") ||
    type.startsWith("kubernetes:helm.sh") ||
    type === "pulumi:providers:kubernetes"
  ) {
    return undefined;
  }
  const object = { ...inputs };
  delete object.__defaults;
  if (type === "kubernetes:core/v1:Secret") {
    for (const field of ["data", "stringData"]) {
      const values = object[field];
      if (values && typeof values === "object")
        object[field] = Object.fromEntries(Object.keys(values).map((k) => [k, MASK]));
      else if (values !== undefined) object[field] = MASK;
    }
  }
  return object;
}

function nameOfUrn(urn) {
  if (!urn) return undefined;
  const parts = urn.split("::");
  return { type: (parts[2] ?? "").split("$").pop(), name: parts[3] };
}

function printTree(resources, write) {
  const children = new Map();
  for (const r of resources) {
    const list = children.get(r.parent ?? "") ?? [];
    list.push(r);
    children.set(r.parent ?? "", list);
  }
  const walk = (urn, depth) => {
    for (const r of children.get(urn) ?? []) {
      write(`${"  ".repeat(depth)}${r.type}  ${r.name}\n`);
      walk(r.urn, depth + 1);
    }
  };
  walk("", 0);
}

/** ts-node registration exactly as run.js performs it for a CommonJS project. */
function registerTypeScript(enabled) {
  if (!enabled) return;
  const tsutils = require("@pulumi/pulumi/tsutils");
  const tsConfigPath = process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json";
  const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
  const transpileOnlyEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
  const transpileOnly = transpileOnlyEnv ? transpileOnlyEnv === "true" : compilerOptions.noCheck;
  const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
  require(tsnodeRequire).register({
    compiler: typescriptRequire,
    transpileOnly,
    project: tsConfigPath,
    skipProject: !fs.existsSync(tsConfigPath),
    compilerOptions: {
      target: "ES2020",
      module: "nodenext",
      moduleResolution: "nodenext",
      sourceMap: "true",
      ...compilerOptions,
    },
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      out: { type: "string" },
      "config-file": { type: "string" },
      // Another entry than Pulumi.yaml `main`: the planning benchmark's synthetic catalogs (bench/synthetic-program.ts).
      program: { type: "string" },
    },
  });
  if (!values.stack) usage("--stack is required.");
  const root = path.resolve(__dirname, "..");
  process.chdir(root);
  const projectFile = YAML.parse(fs.readFileSync("Pulumi.yaml", "utf8"));
  const project = projectFile.name;
  const stack = values.stack;
  const configFile = values["config-file"] ?? `Pulumi.${stack}.yaml`;
  if (!fs.existsSync(configFile)) usage(`No stack config file ${configFile}.`);
  const { config, secretKeys } = stackConfig(project, configFile);

  // What the CLI hands the language host.
  process.env.PULUMI_CONFIG = JSON.stringify(config);
  process.env.PULUMI_CONFIG_SECRET_KEYS = JSON.stringify(secretKeys);
  process.env.PULUMI_NODEJS_TYPESCRIPT = String(projectFile.runtime?.options?.typescript !== false);

  const pulumi = require("@pulumi/pulumi");
  const resources = [];
  /** The mock's outputs of each image by resource name, reported beside its inputs. */
  const imageOutputs = new Map();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (args.type === IMAGE_TYPE) imageOutputs.set(args.name, mockImageOutputs(args.inputs));
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs) };
      },
      call: () => ({}),
    },
    project,
    stack,
    false,
  );
  const monitor = pulumi.runtime.getMonitor();
  const registerResource = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    resources.push({
      urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent() || undefined,
      dependsOn: req.getDependenciesList(),
      custom: req.getCustom(),
      inputs: maskSecrets(req.getObject()?.toJavaScript() ?? {}),
    });
    return registerResource(req, callback);
  };
  // The stack's outputs as the engine receives them, secrets still wrapped: the resolved values the program returns
  // have lost the mark, and a secret output must print masked as the CLI prints it.
  let stackOutputs;
  const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    if (req.getUrn().endsWith(`::pulumi:pulumi:Stack::${project}-${stack}`)) {
      stackOutputs = req.getOutputs()?.toJavaScript() ?? {};
    }
    return registerResourceOutputs(req, callback);
  };

  // As Pulumi's Node.js language host does (@pulumi/pulumi/cmd/run/run.js; its module cannot be imported without
  // starting the host's CLI): ts-node registered with the project's tsconfig and the SDK's TypeScript options,
  // the entry from Pulumi.yaml `main`, required as CommonJS inside a root Stack.
  registerTypeScript(process.env.PULUMI_NODEJS_TYPESCRIPT === "true");
  let program = path.resolve(values.program ?? projectFile.main ?? ".");
  if (fs.statSync(program).isDirectory() && !program.endsWith("/")) program += "/";
  const { runInPulumiStack } = require("@pulumi/pulumi/runtime/stack");
  try {
    await runInPulumiStack(async () => require(program));
    await require("@pulumi/pulumi/runtime/settings").waitForRPCs();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }

  const manifests = resources.map(manifestOf).filter(Boolean);
  const report = resources.map((r) => ({
    type: r.type,
    name: r.name,
    parent: nameOfUrn(r.parent),
    dependsOn: r.dependsOn.map(nameOfUrn),
    inputs: r.inputs,
    ...(r.type === IMAGE_TYPE ? { outputs: imageOutputs.get(r.name) } : {}),
  }));
  if (values.out) {
    fs.mkdirSync(values.out, { recursive: true });
    fs.writeFileSync(path.join(values.out, "manifests.yaml"), manifests.map((m) => YAML.stringify(m)).join("---\n"));
    fs.writeFileSync(path.join(values.out, "resources.json"), `${JSON.stringify(report, null, 2)}\n`);
  }
  const write = (text) => process.stdout.write(text);
  write(`Plan of stack ${stack} (${project}): ${resources.length} resources, ${manifests.length} Kubernetes objects\n`);
  printTree(resources, write);
  write(`Outputs: ${JSON.stringify(maskSecrets(stackOutputs ?? {}))}\n`);
  if (values.out)
    write(`Wrote ${path.join(values.out, "manifests.yaml")} and ${path.join(values.out, "resources.json")}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
