//! Shapes: every route of the later API work answers with the fields
//! Nomad's Go API client (`api/*.go`) decodes, so a renamed or dropped
//! field fails here. Each check lists the struct's JSON field names.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{TestCluster, register_body, wait_for};
use crate::t06_scheduling::{node_json, seed_job};

/// Fails unless `v` is an object holding every one of `fields`.
fn has(what: &str, v: &Value, fields: &[&str]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {v}"));
    let missing: Vec<&&str> = fields.iter().filter(|f| !obj.contains_key(**f)).collect();
    assert!(missing.is_empty(), "{what}: missing {missing:?} in {v}");
}

const NAMESPACE: &[&str] = &[
    "Name",
    "Description",
    "Quota",
    "Capabilities",
    "NodePoolConfiguration",
    "VaultConfiguration",
    "ConsulConfiguration",
    "Meta",
    "CreateIndex",
    "ModifyIndex",
    "RequiredExtraClaims",
    "OptionalExtraClaims",
];
const VARIABLE_META: &[&str] = &[
    "Namespace",
    "Path",
    "CreateIndex",
    "ModifyIndex",
    "CreateTime",
    "ModifyTime",
];
const SCALE_STATUS: &[&str] = &[
    "JobID",
    "Namespace",
    "JobCreateIndex",
    "JobModifyIndex",
    "JobStopped",
    "TaskGroups",
];
const GROUP_SCALE: &[&str] = &[
    "Desired",
    "Placed",
    "Running",
    "Healthy",
    "Unhealthy",
    "Events",
];
const SCALING_EVENT: &[&str] = &[
    "Count",
    "PreviousCount",
    "Error",
    "Message",
    "Meta",
    "EvalID",
    "Time",
    "CreateIndex",
];
const POLICY_STUB: &[&str] = &[
    "ID",
    "Enabled",
    "Type",
    "Target",
    "CreateIndex",
    "ModifyIndex",
];
const REGISTER: &[&str] = &["EvalID", "EvalCreateIndex", "JobModifyIndex", "Warnings"];
const DISPATCH: &[&str] = &[
    "DispatchedJobID",
    "EvalID",
    "EvalCreateIndex",
    "JobCreateIndex",
];
const SUBMISSION: &[&str] = &["Source", "Format", "VariableFlags", "Variables"];
const SCHEDULER_CONFIG: &[&str] = &[
    "SchedulerAlgorithm",
    "PreemptionConfig",
    "MemoryOversubscriptionEnabled",
    "RejectJobRegistration",
    "PauseEvalBroker",
    "CreateIndex",
    "ModifyIndex",
];
const HEALTH: &[&str] = &["Healthy", "FailureTolerance", "Servers"];
const SERVER_HEALTH: &[&str] = &[
    "ID",
    "Name",
    "Address",
    "SerfStatus",
    "Version",
    "Leader",
    "LastContact",
    "LastTerm",
    "LastIndex",
    "Healthy",
    "Voter",
    "StableSince",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_routes_answer_in_nomads_shapes() {
    let c = TestCluster::start(1).await;
    c.put(0, "/v1/node/register", &node_json(0, "dc1", 8192))
        .await;

    // Namespaces.
    let (s, _) = c
        .put(
            0,
            "/v1/namespace",
            &json!({"Name": "ops", "Description": "d"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, list) = c.get(0, "/v1/namespaces").await;
    for ns in list.as_array().expect("list") {
        has("Namespace", ns, NAMESPACE);
    }

    // Variables.
    let (s, v) = c.put(0, "/v1/var/a/b", &json!({"Items": {"k": "v"}})).await;
    assert_eq!(s, 200);
    has("Variable", &v, VARIABLE_META);
    has("Variable", &v, &["Items"]);
    let (_, list) = c.get(0, "/v1/vars").await;
    has("VariableMetadata", &list[0], VARIABLE_META);

    // Jobs: register with a submission, scale, scaling policies.
    let mut job = seed_job(&["dc1"], 1);
    job["TaskGroups"][0]["Scaling"] = json!({"Min": 1, "Max": 5});
    let mut body = register_body(job, None);
    body["Submission"] = json!({"Source": "job {}", "Format": "hcl2"});
    let (s, reg) = c.put(0, "/v1/jobs", &body).await;
    assert_eq!(s, 200, "{reg}");
    has("JobRegisterResponse", &reg, REGISTER);
    let (_, sub) = c.get(0, "/v1/job/example/submission?version=0").await;
    has("JobSubmission", &sub, SUBMISSION);
    let (s, scaled) = c
        .put(
            0,
            "/v1/job/example/scale",
            &json!({"Count": 2, "Target": {"Group": "cache"}}),
        )
        .await;
    assert_eq!(s, 200, "{scaled}");
    has("JobRegisterResponse", &scaled, REGISTER);
    let status = wait_for("scale status", Duration::from_secs(20), || async {
        let (_, st) = c.get(0, "/v1/job/example/scale").await;
        (st["TaskGroups"]["cache"]["Events"]
            .as_array()
            .map_or(0, Vec::len)
            == 1)
            .then_some(st)
    })
    .await;
    has("JobScaleStatusResponse", &status, SCALE_STATUS);
    has(
        "TaskGroupScaleStatus",
        &status["TaskGroups"]["cache"],
        GROUP_SCALE,
    );
    has(
        "ScalingEvent",
        &status["TaskGroups"]["cache"]["Events"][0],
        SCALING_EVENT,
    );
    let (_, policies) = c.get(0, "/v1/scaling/policies").await;
    has("ScalingPolicyListStub", &policies[0], POLICY_STUB);

    // Dispatch and periodic force.
    let mut param = seed_job(&["dc1"], 1);
    param["ID"] = json!("param");
    param["Name"] = json!("param");
    param["Type"] = json!("batch");
    param["ParameterizedJob"] = json!({"Payload": "optional"});
    c.put(0, "/v1/jobs", &register_body(param, None)).await;
    let (s, d) = c.put(0, "/v1/job/param/dispatch", &json!({})).await;
    assert_eq!(s, 200, "{d}");
    has("JobDispatchResponse", &d, DISPATCH);
    let mut periodic = seed_job(&["dc1"], 1);
    periodic["ID"] = json!("cron");
    periodic["Name"] = json!("cron");
    periodic["Type"] = json!("batch");
    periodic["Periodic"] = json!({"Spec": "0 0 1 1 *", "Enabled": true});
    c.put(0, "/v1/jobs", &register_body(periodic, None)).await;
    let (s, f) = c.put(0, "/v1/job/cron/periodic/force", &json!({})).await;
    assert_eq!(s, 200, "{f}");
    has("PeriodicForceResponse", &f, &["EvalID", "EvalCreateIndex"]);

    // Search.
    let (s, found) = c
        .put(
            0,
            "/v1/search/fuzzy",
            &json!({"Text": "exam", "Context": "all"}),
        )
        .await;
    assert_eq!(s, 200, "{found}");
    has("FuzzySearchResponse", &found, &["Matches", "Truncations"]);
    has("FuzzyMatch", &found["Matches"]["jobs"][0], &["ID", "Scope"]);

    // Operator.
    let (_, sched) = c.get(0, "/v1/operator/scheduler/configuration").await;
    has(
        "SchedulerConfigurationResponse",
        &sched,
        &["SchedulerConfig"],
    );
    has(
        "SchedulerConfiguration",
        &sched["SchedulerConfig"],
        SCHEDULER_CONFIG,
    );
    let health = wait_for("healthy", Duration::from_secs(20), || async {
        let (s, h) = c.get(0, "/v1/operator/autopilot/health").await;
        (s == 200).then_some(h)
    })
    .await;
    has("OperatorHealthReply", &health, HEALTH);
    has("ServerHealth", &health["Servers"][0], SERVER_HEALTH);
    c.shutdown().await;
}
