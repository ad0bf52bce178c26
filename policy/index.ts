// Entry of the policy pack, run only by the Pulumi CLI (`--policy-pack policy`): constructing the pack starts its gRPC server.
import { PolicyPack } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "../infra/config";
import { enforcementLevelFor, POLICIES } from "./policies";

// The CLI starts the pack with the stack's name and config in the environment (PULUMI_NODEJS_STACK, PULUMI_CONFIG).
const profile = new pulumi.Config(CONFIG_NAMESPACE).get("profile");

new PolicyPack("event-platform", {
  description: "The event platform's prod invariants: mandatory on prod stacks, advisory on the others.",
  policies: POLICIES,
  enforcementLevel: enforcementLevelFor(pulumi.getStack(), profile),
});
