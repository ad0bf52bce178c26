// Test helper: validates rendered Kubernetes objects against the upstream Strimzi/Dapr CRD schemas and kubernetes-models' core API schemas.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { type CelInput, type CelResult, CelScalar, celEnv, celError, isCelError, parse, plan } from "@bufbuild/cel";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { parseAllDocuments } from "yaml";
import { undefinedNames } from "../../local/cel";
import { upstreamPaths } from "./upstream";

// ajv-formats is CommonJS with a default export; under Node's ESM interop it arrives as the module object.
const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;

const REPO_ROOT = path.resolve(__dirname, "../..");

/**
 * Folder holding one sub-folder of upstream CRD YAML files per product version (`strimzi-1.2.0/`, `dapr-1.18.3/`):
 * `$CRD_DIR` when set, else the cached upstream CRDs (test/support/upstream.ts, fetched by `npm test` first).
 */
export const CRD_DIR = process.env.CRD_DIR ? path.resolve(REPO_ROOT, process.env.CRD_DIR) : upstreamPaths.crds;

type JsonObject = { [key: string]: unknown };

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------------
// Core kinds: kubernetes-models ships ajv validators generated from the Kubernetes OpenAPI spec (1.27 for 4.5.x).

interface Validatable {
  validate(): void;
}

// The constructors are typed for their own interface; the validator is what judges the data, so it is passed as is.
type CoreModel = new (data: never) => Validatable;

const CORE_MODELS: ReadonlyMap<string, CoreModel> = new Map<string, CoreModel>([
  ["v1 Namespace", Namespace],
  ["v1 Secret", Secret],
  ["v1 ConfigMap", ConfigMap],
  ["v1 Service", Service],
  ["v1 PersistentVolumeClaim", PersistentVolumeClaim],
  ["v1 ServiceAccount", ServiceAccount],
  ["apps/v1 Deployment", Deployment],
  ["apps/v1 StatefulSet", StatefulSet],
  ["policy/v1 PodDisruptionBudget", PodDisruptionBudget],
  ["networking.k8s.io/v1 NetworkPolicy", NetworkPolicy],
]);

/** What kubernetes-models' `validate()` throws: ajv's ValidationError, with every error (its validators use allErrors). */
function isAjvValidationError(error: unknown): error is { errors: ErrorObject[] } {
  return isObject(error) && Array.isArray(error.errors) && error.ajv === true;
}

function coreViolations(model: CoreModel, object: JsonObject): string[] {
  try {
    new model(object as never).validate();
    return [];
  } catch (error) {
    if (isAjvValidationError(error)) return error.errors.map(formatAjvError);
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Custom resources: one ajv validator per served CRD version, compiled on first use.

interface CrdVersion {
  apiVersion: string;
  kind: string;
  served: boolean;
  /** The openAPIV3Schema rewritten to the API server's semantics (see toApiServerSemantics). */
  schema: JsonObject;
  source: string;
}

interface CrdCatalog {
  folders: string[];
  /** Key `<group>/<version> <kind>`. */
  versions: Map<string, CrdVersion>;
  unchecked: string[];
}

let catalog: CrdCatalog | undefined;

function loadCrds(): CrdCatalog {
  if (catalog) return catalog;
  if (!existsSync(CRD_DIR)) {
    throw new Error(
      `No CRDs at ${CRD_DIR}: npm test fetches them first (or run npx tsx test/prepare.ts), or set CRD_DIR to a folder of CRD folders.`,
    );
  }
  const loaded: CrdCatalog = { folders: [], versions: new Map(), unchecked: [] };
  const folders = readdirSync(CRD_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const folder of folders) {
    const files = readdirSync(path.join(CRD_DIR, folder))
      .filter((file) => /\.ya?ml$/.test(file))
      .sort();
    let found = false;
    for (const file of files) {
      const source = `${folder}/${file}`;
      for (const crd of readYamlDocuments(path.join(CRD_DIR, folder, file))) {
        if (!isObject(crd) || crd.kind !== "CustomResourceDefinition") continue;
        for (const version of crdVersionsOf(crd, source, loaded.unchecked)) {
          const key = `${version.apiVersion} ${version.kind}`;
          const previous = loaded.versions.get(key);
          // Two definitions of one apiVersion/kind would make the result depend on file order.
          if (previous) throw new Error(`${key} is defined by both ${previous.source} and ${source}`);
          loaded.versions.set(key, version);
          found = true;
        }
      }
    }
    if (found) loaded.folders.push(folder);
  }
  catalog = loaded;
  return loaded;
}

function readYamlDocuments(file: string): unknown[] {
  return parseAllDocuments(readFileSync(file, "utf8")).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors.map((e) => e.message).join("; ")}`);
    return document.toJS();
  });
}

function crdVersionsOf(crd: JsonObject, source: string, unchecked: string[]): CrdVersion[] {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const group = spec.group;
  const kind = isObject(spec.names) ? spec.names.kind : undefined;
  if (typeof group !== "string" || typeof kind !== "string" || !Array.isArray(spec.versions)) {
    throw new Error(`${source}: not a CustomResourceDefinition with spec.group, spec.names.kind and spec.versions`);
  }
  return spec.versions.filter(isObject).map((version) => {
    const apiVersion = `${group}/${String(version.name)}`;
    const openApi = isObject(version.schema) ? version.schema.openAPIV3Schema : undefined;
    if (!isObject(openApi)) throw new Error(`${source}: ${apiVersion} ${kind} has no openAPIV3Schema`);
    const label = `${source} ${apiVersion} ${kind}`;
    return {
      apiVersion,
      kind,
      served: version.served === true,
      schema: toApiServerSemantics(structuredClone(openApi), "#", true, label, unchecked),
      source,
    };
  });
}

const HANDLED_EXTENSIONS = new Set([
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-validations",
]);

/**
 * Rewrites a CRD schema node in place so that plain JSON Schema validation matches the API server:
 * - `x-kubernetes-int-or-string` accepts an integer or a string even where the schema gives no `type`;
 * - an object with `properties` rejects other fields unless `x-kubernetes-preserve-unknown-fields` is set, as the API
 *   server does with strict field validation (kubectl's default) and as pruning would otherwise silently drop them.
 *   Only structural positions are closed: `properties` inside oneOf/anyOf/allOf/not only name fields to test.
 * Extensions it cannot honour are recorded in `unchecked`, so they are reported instead of silently ignored.
 */
function toApiServerSemantics(
  node: JsonObject,
  at: string,
  structural: boolean,
  label: string,
  unchecked: string[],
): JsonObject {
  for (const key of Object.keys(node)) {
    if (key.startsWith("x-kubernetes-") && !HANDLED_EXTENSIONS.has(key)) unchecked.push(`${label} ${at}: ${key}`);
  }
  if (node["x-kubernetes-int-or-string"] === true && node.type === undefined && node.anyOf === undefined) {
    node.anyOf = [{ type: "integer" }, { type: "string" }];
  }
  const rules = node["x-kubernetes-validations"];
  if (Array.isArray(rules)) {
    for (const rule of rules) {
      const text = isObject(rule) ? rule.rule : undefined;
      if (typeof text !== "string" || compileCel(text) === undefined) {
        unchecked.push(`${label} ${at}: x-kubernetes-validations rule ${JSON.stringify(text)}`);
      }
    }
  }
  // The API server always keeps apiVersion, kind and metadata at the root, whether or not the schema lists them.
  if (at === "#" && isObject(node.properties)) {
    node.properties = {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      ...node.properties,
    };
  }
  if (
    structural &&
    isObject(node.properties) &&
    node.additionalProperties === undefined &&
    node["x-kubernetes-preserve-unknown-fields"] !== true
  ) {
    node.additionalProperties = false;
  }
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) {
      if (isObject(child)) toApiServerSemantics(child, `${at}/properties/${name}`, structural, label, unchecked);
    }
  }
  if (isObject(node.items)) toApiServerSemantics(node.items, `${at}/items`, structural, label, unchecked);
  if (isObject(node.additionalProperties)) {
    toApiServerSemantics(node.additionalProperties, `${at}/additionalProperties`, structural, label, unchecked);
  }
  for (const combinator of ["oneOf", "anyOf", "allOf"]) {
    const branches = node[combinator];
    if (!Array.isArray(branches)) continue;
    branches.forEach((branch, index) => {
      if (isObject(branch)) toApiServerSemantics(branch, `${at}/${combinator}/${index}`, false, label, unchecked);
    });
  }
  if (isObject(node.not)) toApiServerSemantics(node.not, `${at}/not`, false, label, unchecked);
  return node;
}

let ajv: Ajv | undefined;

function crdAjv(): Ajv {
  if (ajv) return ajv;
  // strict: false because CRD schemas carry OpenAPI/Kubernetes keywords (x-kubernetes-*, nullable) unknown to ajv.
  const instance = new Ajv({ allErrors: true, strict: false });
  addFormats(instance);
  instance.addKeyword({
    keyword: "x-kubernetes-validations",
    schemaType: "array",
    errors: true,
    compile: (rules: unknown[]) => compileCelRules(rules),
  });
  ajv = instance;
  return instance;
}

const validators = new Map<string, ValidateFunction>();

function crdViolations(version: CrdVersion, object: JsonObject): string[] {
  const key = `${version.apiVersion} ${version.kind}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = crdAjv().compile(version.schema);
    validators.set(key, validate);
  }
  return validate(object) ? [] : (validate.errors ?? []).map(formatAjvError);
}

// ---------------------------------------------------------------------------------------------------------------------
// CEL (x-kubernetes-validations), evaluated by @bufbuild/cel with `self` bound to the node that declares the rule.

const CEL_ENV = celEnv({ variables: { self: CelScalar.DYN } });

type CelProgram = (self: unknown) => CelResult;

/** JSON as the API server hands it to CEL: objects are maps, integral numbers int (bigint), others double; absent stays absent. */
function toCelInput(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCelInput);
  if (isObject(value)) {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined);
    return new Map(entries.map(([key, field]) => [key, toCelInput(field)]));
  }
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean" || value === null) {
    return value;
  }
  throw new Error(`not a JSON value: ${String(value)}`);
}

const celPrograms = new Map<string, CelProgram | undefined>();

/** The rule as a function of `self`, or undefined when @bufbuild/cel cannot parse it or it uses what CEL_ENV lacks. */
function compileCel(source: string): CelProgram | undefined {
  if (celPrograms.has(source)) return celPrograms.get(source);
  let compiled: CelProgram | undefined;
  try {
    const parsed = parse(source);
    // A rule using one of Kubernetes' own CEL libraries (`isSorted()`, `quantity()`...) or a transition rule (`oldSelf`)
    // would fail every object: it is listed as unchecked instead.
    const missing = undefinedNames(CEL_ENV, parsed.expr, new Set(["self"]));
    if (missing.functions.length === 0 && missing.variables.length === 0) {
      const program = plan(CEL_ENV, parsed);
      compiled = (self) => {
        try {
          return program({ self: toCelInput(self) });
        } catch (error) {
          return celError(error);
        }
      };
    }
  } catch {
    compiled = undefined;
  }
  celPrograms.set(source, compiled);
  return compiled;
}

interface CelKeywordValidator {
  (data: unknown): boolean;
  errors?: Partial<ErrorObject>[];
}

function compileCelRules(rules: unknown[]): CelKeywordValidator {
  const compiled = rules.filter(isObject).flatMap((rule) => {
    const source = typeof rule.rule === "string" ? rule.rule : "";
    const program = compileCel(source);
    // Rules that do not compile are listed by uncheckedSchemaFeatures() rather than failing every object.
    if (!program) return [];
    const message = typeof rule.message === "string" ? rule.message : `failed rule: ${source}`;
    return [{ source, program, message }];
  });
  const validate: CelKeywordValidator = (data) => {
    const errors: Partial<ErrorObject>[] = [];
    for (const { source, program, message } of compiled) {
      const result = program(data);
      // A runtime error (such as reading an absent field) fails the rule, as the API server rejects such an object.
      if (isCelError(result)) {
        const detail = `${message} (rule ${source} failed: ${result.message})`;
        errors.push({ keyword: "x-kubernetes-validations", message: detail, params: { rule: source } });
      } else if (result !== true) {
        errors.push({ keyword: "x-kubernetes-validations", message, params: { rule: source } });
      }
    }
    validate.errors = errors;
    return errors.length === 0;
  };
  return validate;
}
// ---------------------------------------------------------------------------------------------------------------------
// metadata: CRD schemas only say `metadata: {type: object}`; the API server validates ObjectMeta itself.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const SUBDOMAIN_RULE =
  "a DNS-1123 subdomain (at most 253 lowercase letters, digits, '-' or '.', alphanumeric at both ends)";
const LABEL_RULE = "a DNS-1123 label (at most 63 lowercase letters, digits or '-', alphanumeric at both ends)";
const DNS1035_RULE = "a DNS-1035 label (at most 63 lowercase letters, digits or '-', starting with a letter)";

const isSubdomain = (value: string): boolean => value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
const isLabel = (value: string): boolean => value.length <= 63 && DNS1123_LABEL.test(value);

// Names stricter than a subdomain, as the API server validates them (Namespace: ValidateNamespaceName, Service: ValidateServiceName).
const NAME_RULES: Record<string, { test: (value: string) => boolean; rule: string }> = {
  Namespace: { test: isLabel, rule: LABEL_RULE },
  Service: { test: (value) => value.length <= 63 && DNS1035_LABEL.test(value), rule: DNS1035_RULE },
};

function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf("/");
  const name = slash === -1 ? key : key.slice(slash + 1);
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  return name.length <= 63 && QUALIFIED_NAME.test(name) && (prefix === undefined || isSubdomain(prefix));
}

const pointer = (...segments: string[]): string =>
  segments.map((segment) => `/${segment.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

function metadataViolations(kind: unknown, metadata: unknown): string[] {
  if (!isObject(metadata)) return ["/metadata must be an object with a name"];
  const violations: string[] = [];
  const { name, namespace, labels, annotations } = metadata;
  if (typeof name !== "string" || name === "") {
    violations.push("/metadata/name must be a non-empty string");
  } else {
    const nameRule = (typeof kind === "string" ? NAME_RULES[kind] : undefined) ?? {
      test: isSubdomain,
      rule: SUBDOMAIN_RULE,
    };
    if (!nameRule.test(name)) violations.push(`/metadata/name must be ${nameRule.rule}: ${JSON.stringify(name)}`);
  }
  if (namespace !== undefined && (typeof namespace !== "string" || !isLabel(namespace))) {
    violations.push(`/metadata/namespace must be ${LABEL_RULE}: ${JSON.stringify(namespace)}`);
  }
  for (const [field, map] of [
    ["labels", labels],
    ["annotations", annotations],
  ] as const) {
    if (map === undefined) continue;
    if (!isObject(map)) {
      violations.push(`/metadata/${field} must be object`);
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      const at = pointer("metadata", field, key);
      if (!isQualifiedName(key)) {
        violations.push(`${at} key must be [prefix/]name with name at most 63 characters of [-A-Za-z0-9_.]`);
      }
      if (typeof value !== "string") violations.push(`${at} must be string`);
      else if (field === "labels" && value !== "" && !(value.length <= 63 && QUALIFIED_NAME.test(value))) {
        violations.push(
          `${at} must be a label value (at most 63 characters of [-A-Za-z0-9_.], alphanumeric at both ends)`,
        );
      }
    }
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------------------------------

function formatAjvError(error: ErrorObject): string {
  const at = error.instancePath || "/";
  const params: Record<string, unknown> = error.params ?? {};
  switch (error.keyword) {
    case "enum":
      // ajv's own message omits the values, which are what one needs to fix the manifest.
      if (Array.isArray(params.allowedValues)) {
        return `${at} must be equal to one of the allowed values: ${params.allowedValues.join(", ")}`;
      }
      break;
    case "const":
      return `${at} must be equal to constant: ${JSON.stringify(params.allowedValue)}`;
    case "required":
      return `${at} must have required property '${String(params.missingProperty)}'`;
    case "additionalProperties":
      return `${at} must NOT have unknown field '${String(params.additionalProperty)}'`;
  }
  return `${at} ${error.message ?? error.keyword}`;
}

function schemaViolations(object: JsonObject): string[] {
  const { apiVersion, kind } = object;
  if (typeof apiVersion !== "string" || apiVersion === "" || typeof kind !== "string" || kind === "") {
    return ["apiVersion and kind must be non-empty strings"];
  }
  const model = CORE_MODELS.get(`${apiVersion} ${kind}`);
  if (model) return coreViolations(model, object);
  const { versions } = loadCrds();
  const version = versions.get(`${apiVersion} ${kind}`);
  if (version?.served) return crdViolations(version, object);
  // Say which versions exist, since the usual cause is a removed version (Strimzi 1.x no longer serves v1beta2).
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
  const served = [...versions.values()]
    .filter((v) => v.served && v.kind === kind && v.apiVersion.startsWith(`${group}/`))
    .map((v) => v.apiVersion);
  const hint = served.length > 0 ? ` (served: ${served.join(", ")})` : "";
  return [`no schema for ${apiVersion} ${kind}${hint}`];
}

/**
 * Violations of one rendered object, each `<kind>/<name>: <JSON pointer> <message>`; empty when the object is valid.
 * Custom resources are checked against the served version of their CRD, the listed core kinds with kubernetes-models,
 * and metadata (name, namespace, labels, annotations) as the API server would; any other apiVersion/kind is a violation.
 */
export function validateManifest(object: unknown): string[] {
  if (!isObject(object)) return [`<not an object>: a manifest must be an object, got ${JSON.stringify(object)}`];
  const name = isObject(object.metadata) ? object.metadata.name : undefined;
  const id = `${typeof object.kind === "string" ? object.kind : "<no kind>"}/${typeof name === "string" ? name : "<no name>"}`;
  const violations = [...metadataViolations(object.kind, object.metadata), ...schemaViolations(object)];
  // kubernetes-models and the metadata checks can both report a non-string label; say it once.
  return [...new Set(violations)].map((violation) => `${id}: ${violation}`);
}

/** The violations of every object, in order. */
export function validateManifests(objects: readonly unknown[]): string[] {
  return objects.flatMap((object) => validateManifest(object));
}

/** The CRD folders loaded from CRD_DIR (such as `dapr-1.18.3`, `strimzi-1.2.0`), for a log line or an assertion. */
export function crdVersions(): string[] {
  return [...loadCrds().folders];
}

/** Parts of the loaded CRD schemas this validator cannot check (unknown x-kubernetes-* keywords, unsupported CEL). */
export function uncheckedSchemaFeatures(): string[] {
  return [...loadCrds().unchecked];
}
