//! `/v1/jobs`, `/v1/job/{id}/...`, `/v1/jobs/parse`, `/v1/validate/job`
//! (a job's versions, revert and stable are in [`super::job_versions`]).

use axum::Router;
use axum::response::Response;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::extract::{Bytes, Path, Query, State};
use super::paginate::{Pager, Token, blocking_list, ordered};
use super::params::Params;
use super::query::{QueryOptions, blocking, read_one, reply};
use super::{ApiError, body, writes};
use crate::jobspec;
use crate::server::Server;
use crate::server::endpoints::{JobRegisterRequest, job};
use crate::state::Table;

pub fn routes() -> Router<Server> {
    Router::new()
        .route("/v1/jobs", get(list).put(register).post(register))
        .route("/v1/jobs/parse", writes(parse))
        .route("/v1/validate/job", writes(validate))
        .route(
            "/v1/job/{id}",
            get(read).put(update).post(update).delete(deregister),
        )
        .route("/v1/job/{id}/allocations", get(allocations))
        .route("/v1/job/{id}/evaluations", get(evaluations))
        .route("/v1/job/{id}/summary", get(summary))
        .route("/v1/job/{id}/plan", writes(plan))
        .route("/v1/job/{id}/evaluate", writes(evaluate))
        .route("/v1/job/{id}/dispatch", writes(dispatch))
        .route("/v1/job/{id}/submission", get(submission))
        .route("/v1/job/{id}/periodic/force", writes(periodic_force))
}

/// Jobs by namespace and ID, paginated (`<namespace>.<id>` tokens);
/// `meta=true` adds each job's `Meta`.
async fn list(State(s): State<Server>, Query(q): Params) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let with_meta = opts.flag("meta")?;
    let pager = Pager::new(&opts)?;
    blocking_list(&s, &opts, Table::Jobs, |st| {
        let jobs = ordered(st.jobs_by_prefix(&opts.namespace, &opts.prefix), &opts);
        let page = pager.page(
            jobs,
            |j| Token::Text(format!("{}.{}", j.namespace, j.id)),
            |j| {
                let mut stub = j.stub(st.job_summary(&j.namespace, &j.id).map(|s| (*s).clone()));
                if with_meta {
                    stub.meta = Some(j.meta.clone());
                }
                stub
            },
        );
        Ok((page, st.index(Table::Jobs)))
    })
    .await
}

async fn register(
    State(s): State<Server>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let mut req: JobRegisterRequest = body::decode(&body).await?;
    if let Some(j) = req.job.as_mut()
        && j.namespace.is_empty()
    {
        j.namespace = opts.namespace.clone();
    }
    let resp = job::register(&s, req).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

async fn update(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let mut req: JobRegisterRequest = body::decode(&body).await?;
    match req.job.as_mut() {
        Some(j) if j.id != id => return Err(ApiError::bad_request("Job ID does not match name")),
        Some(j) if j.namespace.is_empty() => j.namespace = opts.namespace.clone(),
        _ => {}
    }
    let resp = job::register(&s, req).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

async fn read(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    read_one(&s, &opts, Table::Jobs, "job not found", |st| {
        st.job(&opts.namespace, &id).map(|j| {
            let index = j.modify_index;
            (j, index)
        })
    })
    .await
}

async fn deregister(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let purge = opts.flag("purge")?;
    // One region: `global` (every region of a multiregion job) is this one.
    opts.flag("global")?;
    let eval_priority = opts.params().int("eval_priority")?.unwrap_or(0);
    // Read as Nomad reads it; stops keep their groups' shutdown delay.
    opts.flag("no_shutdown_delay")?;
    if eval_priority > 100 {
        return Err(ApiError::bad_request(
            "Eval priority must be between 1 and 100 inclusively",
        ));
    }
    let resp = job::deregister(&s, &opts.namespace, &id, purge, eval_priority.max(0)).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

async fn allocations(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    // As Nomad, a value that is not a boolean is false, not an error.
    let all = opts.params().bool_or_false("all");
    blocking(&s, &opts, Table::Allocs, |st| {
        // As Nomad: by default only the allocations of the current
        // instance of the job (a job purged and registered again has a
        // new CreateIndex); `all=true`, or no current job, lists every
        // allocation of a job with this ID.
        let instance = if all {
            None
        } else {
            st.job(&opts.namespace, &id).map(|j| j.create_index)
        };
        let stubs: Vec<_> = st
            .allocs_by_job(&opts.namespace, &id)
            .iter()
            .filter(|a| match (instance, &a.job) {
                (Some(created), Some(job)) => job.create_index == created,
                _ => true,
            })
            .map(|a| a.stub())
            .collect();
        Ok((stubs, st.index(Table::Allocs)))
    })
    .await
}

async fn evaluations(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    blocking(&s, &opts, Table::Evals, |st| {
        Ok((
            st.evals_by_job(&opts.namespace, &id),
            st.index(Table::Evals),
        ))
    })
    .await
}

async fn summary(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    read_one(&s, &opts, Table::JobSummaries, "job not found", |st| {
        st.job_summary(&opts.namespace, &id).map(|j| {
            let index = j.modify_index;
            (j, index)
        })
    })
    .await
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ParseRequest {
    #[serde(rename = "JobHCL")]
    job_hcl: String,
    canonicalize: bool,
}

async fn parse(
    State(s): State<Server>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: ParseRequest = body::decode(&body).await?;
    if req.job_hcl.trim().is_empty() {
        return Err(ApiError::bad_request("Job spec is empty"));
    }
    // Parsing is CPU work that grows with the file: off the runtime.
    let heavy = req.job_hcl.len() > crate::offload::SMALL_INPUT;
    let job = crate::offload::run_if(heavy, move || {
        let mut job = jobspec::parse("input.nomad", &req.job_hcl)?;
        if req.canonicalize {
            jobspec::canonicalize(&mut job);
        }
        Ok::<_, jobspec::JobspecError>(job)
    })
    .await?
    .map_err(|e| ApiError::bad_request(format!("Failed to parse job: {e}")))?;
    Ok(reply(&s, &opts, &job, 0))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ValidateResponse {
    driver_config_validated: bool,
    validation_errors: Vec<String>,
    error: String,
    warnings: String,
}

async fn validate(
    State(s): State<Server>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: JobRegisterRequest = body::decode(&body).await?;
    let job = req
        .job
        .ok_or_else(|| ApiError::bad_request("Job must be specified"))?;
    let resp = match job::prepared(job).await {
        Ok(_) => ValidateResponse {
            driver_config_validated: true,
            validation_errors: Vec::new(),
            error: String::new(),
            warnings: String::new(),
        },
        Err(crate::server::ServerError::Validation(text)) => ValidateResponse {
            driver_config_validated: false,
            validation_errors: text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("* "))
                .map(str::to_string)
                .collect(),
            error: text,
            warnings: String::new(),
        },
        Err(e) => return Err(e.into()),
    };
    Ok(reply(&s, &opts, &resp, 0))
}

/// A new evaluation of the job (`EvalOptions.ForceReschedule` replaces
/// its failed allocations now); the body may be empty.
async fn evaluate(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: crate::server::endpoints::job_evaluate::JobEvaluateRequest =
        if body.iter().all(u8::is_ascii_whitespace) {
            Default::default()
        } else {
            body::decode(&body).await?
        };
    let resp =
        crate::server::endpoints::job_evaluate::evaluate(&s, &opts.namespace, &id, req).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

/// The job file a version was registered from (`?version=N`, required).
async fn submission(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::parse(q)?;
    let version = opts
        .params()
        .raw("version")
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("Unable to parse job submission version parameter"))?;
    read_one(&s, &opts, Table::Jobs, "job source not found", |st| {
        st.job_submission(&opts.namespace, &id, version)
            .map(|sub| (sub, st.index(Table::Jobs)))
    })
    .await
}

/// A parameterized job's child, with `Payload` (base64) and `Meta`.
async fn dispatch(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let req: crate::structs::JobDispatchRequest = if body.iter().all(u8::is_ascii_whitespace) {
        Default::default()
    } else {
        body::decode(&body).await?
    };
    if !req.job_id.is_empty() && req.job_id != id {
        return Err(ApiError::bad_request("Job ID does not match"));
    }
    let resp =
        crate::server::endpoints::job_dispatch::dispatch(&s, &opts.namespace, &id, req).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}

/// Nomad's `PeriodicForceResponse`.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct PeriodicForceResponse {
    #[serde(rename = "EvalID")]
    eval_id: String,
    eval_create_index: u64,
    index: u64,
}

async fn periodic_force(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let (eval_id, index) =
        crate::server::endpoints::job_dispatch::periodic_force(&s, &opts.namespace, &id).await?;
    let resp = PeriodicForceResponse {
        eval_id,
        eval_create_index: index,
        index,
    };
    Ok(reply(&s, &opts, &resp, index))
}

async fn plan(
    State(s): State<Server>,
    Path(id): Path<String>,
    Query(q): Params,
    body: Bytes,
) -> Result<Response, ApiError> {
    let opts = QueryOptions::write(q);
    let mut req: crate::server::endpoints::plan::JobPlanRequest = body::decode(&body).await?;
    match req.job.as_mut() {
        Some(j) if j.id != id => return Err(ApiError::bad_request("Job ID does not match")),
        Some(j) if j.namespace.is_empty() => j.namespace = opts.namespace.clone(),
        _ => {}
    }
    let resp = crate::server::endpoints::plan::plan(&s, req).await?;
    Ok(reply(&s, &opts, &resp, resp.index))
}
