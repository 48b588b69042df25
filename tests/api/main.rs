//! The HTTP API against in-process clusters of real servers.

#[path = "../common/mod.rs"]
mod common;

mod t01_jobs;
mod t02_check_index;
mod t03_blocking;
mod t04_bad_input;
mod t05_cluster;
mod t06_scheduling;
mod t07_nodes;
mod t08_nodesim;
mod t09_error_text;
mod t10_cross_site;
mod t11_connections;
mod t12_hardening;
mod t13_client_endpoints;
mod t14_node_blocking;
mod t15_revert_stable;
mod t16_search;
mod t17_version_diffs;
mod t18_related_evals;
mod t19_job_instances;
mod t20_agent_servers;
mod t21_blocked_release;
mod t22_services;
mod t22_services_lifecycle;
mod t23_consul_compat;
mod t24_query_params;
mod t25_job_evaluate;
mod t26_job_scale;
mod t27_fuzzy_search;
mod t28_operator;
mod t29_variables;
mod t30_namespaces;
mod t31_gc;
mod t32_periodic_dispatch;
mod t33_events_metrics;
mod t34_conformance;
