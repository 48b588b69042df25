//! What each good corpus file must decode to.

use drover::structs::{Job, SECOND};
use serde_json::json;

/// Checks the expectations of `name`; false when the file has none.
pub fn check(name: &str, job: &Job) -> bool {
    match name {
        "example.nomad" => {
            assert_eq!(job.datacenters, vec!["dc1"]);
            example_2017(job);
        }
        "example_eu.nomad" | "example_oneline.nomad" => {
            assert_eq!(job.datacenters, vec!["eu-west-1a", "eu-west-1b"]);
            example_2017(job);
        }
        "modern.nomad" => modern(job),
        "batch.nomad" => batch(job),
        "system.nomad" => system(job),
        "constraints.nomad" => constraints(job),
        "shorthand.nomad" => shorthand(job),
        _ => return false,
    }
    true
}

fn example_2017(job: &Job) {
    assert_eq!(job.id, "example");
    assert_eq!(job.name, "example");
    assert_eq!(job.job_type, "service");
    assert_eq!(job.priority, 50);
    assert_eq!(job.region, "global");
    assert_eq!(job.namespace, "default");
    let u = job.update.clone().unwrap_or_default();
    assert_eq!((u.stagger, u.max_parallel), (10 * SECOND, 1));
    assert_eq!(job.task_groups.len(), 1);
    let g = &job.task_groups[0];
    assert_eq!((g.name.as_str(), g.count), ("cache", 1));
    let gu = g.update.clone().unwrap_or_default();
    assert_eq!((gu.stagger, gu.max_parallel), (10 * SECOND, 1));
    let r = g.restart_policy.clone().unwrap_or_default();
    assert_eq!(
        (r.attempts, r.interval, r.delay, r.mode.as_str()),
        (10, 300 * SECOND, 25 * SECOND, "delay")
    );
    assert_eq!(g.ephemeral_disk.clone().unwrap_or_default().size_mb, 300);
    assert_eq!(g.tasks.len(), 1);
    let t = &g.tasks[0];
    assert_eq!((t.name.as_str(), t.driver.as_str()), ("redis", "docker"));
    assert_eq!(t.config.get("image"), Some(&json!("redis:3.2")));
    assert_eq!(t.config.get("port_map"), Some(&json!([{"db": 6379}])));
    let res = t.resources.clone().unwrap_or_default();
    assert_eq!((res.cpu, res.memory_mb), (500, 256));
    assert_eq!(res.networks.len(), 1);
    let n = &res.networks[0];
    assert_eq!(n.mbits, 10);
    assert!(n.reserved_ports.is_empty());
    assert_eq!(n.dynamic_ports.len(), 1);
    assert_eq!(n.dynamic_ports[0].label, "db");
    assert_eq!(n.dynamic_ports[0].value, 0);
    assert_eq!(n.dynamic_ports[0].host_network, "default");
    assert_eq!(t.services.len(), 1);
    let s = &t.services[0];
    assert_eq!(s.name, "global-redis-check");
    assert_eq!(s.tags, vec!["global", "cache"]);
    assert_eq!(s.port_label, "db");
    assert_eq!(s.checks.len(), 1);
    let c = &s.checks[0];
    assert_eq!((c.name.as_str(), c.kind.as_str()), ("alive", "tcp"));
    assert_eq!((c.interval, c.timeout), (10 * SECOND, 2 * SECOND));
    assert_eq!(t.kill_timeout, 5 * SECOND);
    let logs = t.log_config.clone().unwrap_or_default();
    assert_eq!((logs.max_files, logs.max_file_size_mb), (10, 10));
}

fn modern(job: &Job) {
    assert_eq!(job.datacenters, vec!["*"]);
    let u = job.update.clone().unwrap_or_default();
    assert_eq!(u.healthy_deadline, 180 * SECOND);
    assert_eq!(u.progress_deadline, 600 * SECOND);
    assert_eq!(u.stagger, 30 * SECOND, "default stagger");
    let g = &job.task_groups[0];
    assert_eq!(g.update, job.update);
    assert_eq!(
        g.migrate,
        Some(json!({"MaxParallel": 1, "HealthCheck": "checks",
                    "MinHealthyTime": 10 * SECOND, "HealthyDeadline": 300 * SECOND}))
    );
    assert_eq!(g.networks.len(), 1);
    let n = &g.networks[0];
    assert_eq!(n.mode, "host");
    assert_eq!(n.dynamic_ports.len(), 1);
    assert_eq!(
        (n.dynamic_ports[0].label.as_str(), n.dynamic_ports[0].to),
        ("db", 6379)
    );
    let s = &g.services[0];
    assert_eq!(
        (s.name.as_str(), s.provider.as_str()),
        ("redis-cache", "nomad")
    );
    // The service's check_restart reaches each check, a check's own
    // fields winning.
    assert_eq!(s.checks.len(), 2);
    assert_eq!(
        s.checks[0].check_restart,
        Some(json!({"Limit": 3, "Grace": 90 * SECOND, "IgnoreWarnings": true}))
    );
    assert_eq!(
        s.checks[1].check_restart,
        Some(json!({"Limit": 5, "Grace": 90 * SECOND, "IgnoreWarnings": true}))
    );
    let r = g.restart_policy.clone().unwrap_or_default();
    assert_eq!((r.attempts, r.mode.as_str()), (2, "fail"));
    // The scaling block: min from the count, the autoscaler's policy as given.
    let sc = g.scaling.clone().expect("scaling");
    assert_eq!(sc["Max"], 5);
    assert_eq!(sc["Min"], g.count);
    assert_eq!(sc["Type"], "horizontal");
    assert_eq!(sc["Policy"]["cooldown"], "1m");
    assert_eq!(sc["Target"]["Group"], "cache");
    let re = g.reschedule_policy.clone().unwrap_or_default();
    assert!(re.unlimited);
    assert_eq!(re.delay_function, "exponential");
    let t = &g.tasks[0];
    assert_eq!(t.config.get("ports"), Some(&json!(["db"])));
    assert_eq!(t.config.get("auth_soft_fail"), Some(&json!(true)));
    assert_eq!(t.shutdown_delay, 10 * SECOND);
}

fn batch(job: &Job) {
    assert_eq!((job.job_type.as_str(), job.priority), ("batch", 70));
    assert_eq!(job.update, None, "batch jobs get no default update");
    assert_eq!(
        job.periodic,
        Some(json!({"Spec": "*/15 * * * *", "ProhibitOverlap": true, "SpecType": "cron"}))
    );
    let g = &job.task_groups[0];
    assert_eq!(g.count, 0, "an explicit count of 0 stays");
    assert_eq!(g.update, None);
    let r = g.restart_policy.clone().unwrap_or_default();
    assert_eq!((r.attempts, r.interval), (3, 24 * 3600 * SECOND));
    let re = g.reschedule_policy.clone().unwrap_or_default();
    assert_eq!((re.attempts, re.delay_function.as_str()), (1, "constant"));
    let t = &g.tasks[0];
    assert_eq!(
        t.config.get("args"),
        Some(&json!([
            "--since",
            "15m",
            "--out",
            "${NOMAD_TASK_DIR}/out.csv"
        ]))
    );
    assert_eq!(t.env.get("LOG_LEVEL").map(String::as_str), Some("debug"));
    assert_eq!(t.env.get("REPORT.MODE").map(String::as_str), Some("full"));
    assert_eq!(t.templates.len(), 1);
    let tpl = &t.templates[0];
    assert_eq!(
        tpl["EmbeddedTmpl"],
        json!("REGION={{ env \"NOMAD_REGION\" }}\n{ not = \"hcl\" }\n")
    );
    assert_eq!(tpl["DestPath"], json!("local/report.env"));
    assert_eq!(
        (tpl["Envvars"].clone(), tpl["Splay"].clone()),
        (json!(true), json!(3 * SECOND))
    );
    assert_eq!(
        t.artifacts,
        vec![json!({"GetterSource": "https://example.com/report.tar.gz",
                    "RelativeDest": "local/bin",
                    "GetterOptions": {"checksum": "sha256:abcd"}})]
    );
    let logs = t.log_config.clone().unwrap_or_default();
    assert_eq!((logs.max_files, logs.max_file_size_mb), (3, 5));
    assert_eq!(
        (t.kill_timeout, t.kill_signal.as_str()),
        (20 * SECOND, "SIGINT")
    );
}

fn system(job: &Job) {
    assert_eq!(
        (job.job_type.as_str(), job.region.as_str()),
        ("system", "eu")
    );
    let g = &job.task_groups[0];
    assert_eq!(g.count, 1);
    assert_eq!(g.reschedule_policy, None, "system jobs are not rescheduled");
    let t = &g.tasks[0];
    assert_eq!(t.user, "nobody");
    assert_eq!(
        t.config.get("args"),
        Some(&json!(["-node", "${node.unique.name}"]))
    );
    let r = t.resources.clone().unwrap_or_default();
    assert_eq!((r.cpu, r.memory_mb, r.memory_max_mb), (50, 64, 128));
}

fn constraints(job: &Job) {
    assert!(job.all_at_once);
    assert_eq!(
        (job.node_pool.as_str(), job.namespace.as_str()),
        ("edge", "prod")
    );
    assert_eq!(job.meta.get("cost.center").map(String::as_str), Some("42"));
    let c: Vec<(String, String, String)> = job
        .constraints
        .iter()
        .map(|c| (c.l_target.clone(), c.operand.clone(), c.r_target.clone()))
        .collect();
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        c,
        vec![
            s("${attr.kernel.name}", "=", "linux"),
            s("${attr.nomad.version}", "version", ">= 0.5.5"),
            s("", "distinct_hosts", "true"),
        ]
    );
    assert_eq!(job.affinities[0].weight, 80);
    assert_eq!(job.affinities[0].operand, "=");
    assert_eq!(job.spreads[0].spread_target.len(), 2);
    assert_eq!(job.spreads[0].spread_target[1].percent, 30);
    let g = &job.task_groups[0];
    assert_eq!(g.count, 3);
    assert_eq!(g.constraints[0].operand, "distinct_property");
    assert_eq!(g.constraints[0].l_target, "${meta.rack}");
    assert_eq!(g.constraints[0].r_target, "2");
    assert_eq!(g.constraints[1].operand, "regexp");
    let re = g.reschedule_policy.clone().unwrap_or_default();
    assert_eq!(
        (re.attempts, re.interval, re.unlimited),
        (5, 3600 * SECOND, false)
    );
    assert_eq!(
        re.delay,
        30 * SECOND,
        "unset fields from the service default"
    );
    let n = &g.networks[0];
    assert_eq!(n.mode, "bridge");
    assert_eq!(
        (
            n.reserved_ports[0].label.as_str(),
            n.reserved_ports[0].value
        ),
        ("http", 8080)
    );
    assert_eq!(n.dynamic_ports[0].label, "metrics");
    let t = &g.tasks[0];
    assert!(t.leader);
    assert_eq!(
        t.config.get("labels"),
        Some(&json!([{"app": "web"}, {"tier": "front"}]))
    );
    assert_eq!(t.constraints[0].operand, "set_contains");
    assert_eq!(
        t.env.get("LISTEN").map(String::as_str),
        Some("0.0.0.0:${NOMAD_PORT_http}")
    );
    let svc = &t.services[0];
    assert_eq!(svc.name, "web-web-server", "default task service name");
    let chk = &svc.checks[0];
    assert_eq!((chk.interval, chk.timeout), (5400 * SECOND, SECOND / 4));
    assert_eq!(
        chk.header.get("Authorization"),
        Some(&vec!["Bearer x".to_string()])
    );
    assert_eq!(chk.name, "service: \"web-web-server\" check");
    let side = &g.tasks[1];
    assert_eq!(side.config.get("command"), Some(&json!("sleep")));
    assert_eq!(
        side.lifecycle,
        Some(json!({"Hook": "poststart", "Sidecar": true}))
    );
}

fn shorthand(job: &Job) {
    assert_eq!(job.task_groups.len(), 1);
    let g = &job.task_groups[0];
    assert_eq!((g.name.as_str(), g.count), ("hello", 1));
    assert_eq!(g.tasks.len(), 1);
    assert_eq!(g.tasks[0].name, "hello");
    assert_eq!(g.tasks[0].config.get("args"), Some(&json!(["hello"])));
}
