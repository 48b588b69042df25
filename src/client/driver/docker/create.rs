//! Starting a task: the image, the container's configuration, creation
//! (handling a leftover container of the same name) and start.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, ContainerInspectResponse, HostConfig, HostConfigLogConfig,
    PortBinding as EnginePortBinding, PortMap,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures::StreamExt;

use super::config::{self, DockerConfig, Volume};
use super::{DRIVER_NAME, DockerDriver, describe, failed, status};
use crate::client::driver::{
    DETAIL_IP_ADDRESS, DriverError, LABEL_ALLOC_ID, LABEL_IMAGE_REF, LABEL_NODE_ID,
    LABEL_TASK_NAME, TaskHandle, TaskSpec,
};

/// How many times a create may meet a container of the same name.
const CREATE_ATTEMPTS: u32 = 5;
/// The first pause after removing a leftover container; it doubles.
const CREATE_BACKOFF: Duration = Duration::from_millis(50);
const MIB: i64 = 1024 * 1024;

/// The outcome of creating: a new container to start, or a running one of
/// the same allocation that is adopted as it is.
enum Created {
    New(String),
    Adopted(Box<ContainerInspectResponse>),
}

impl DockerDriver {
    pub(super) async fn start_task(&self, spec: &TaskSpec) -> Result<TaskHandle, DriverError> {
        let cfg = config::decode(&spec.config)?;
        let volumes = self.check_options(&cfg, spec)?;
        let docker = self.docker()?;
        let image_id = self.resolve_image(&docker, &cfg).await?;
        let body = container_body(spec, &cfg, &image_id, &volumes);
        let id = match self.create_container(&docker, spec, &body).await? {
            Created::Adopted(existing) => return self.adopt(*existing, spec),
            Created::New(id) => id,
        };
        if let Err(e) = docker.start_container(&id, None).await {
            // A container that never ran is of no use to anyone; leaving
            // it would also block the name for the next attempt.
            let _ = docker.remove_container(&id, Some(force_remove())).await;
            return Err(failed("start container", &e));
        }
        self.follow_logs(&docker, &id, spec, 0);
        let mut h = handle(id, &image_id, &cfg.image);
        // The container's own address, for services and checks with
        // `address_mode = "driver"`; a failed inspect only leaves it out.
        if let Ok(c) = docker.inspect_container(&h.id, None).await
            && let Some(ip) = container_ip(&c)
        {
            h.details.insert(DETAIL_IP_ADDRESS.to_string(), ip);
        }
        Ok(h)
    }

    /// Refuses what the client's options forbid; returns the parsed volumes.
    fn check_options(
        &self,
        cfg: &DockerConfig,
        spec: &TaskSpec,
    ) -> Result<Vec<Volume>, DriverError> {
        if cfg.privileged && !self.options.allow_privileged {
            return Err(DriverError::Config(
                "docker: privileged containers are not allowed on this client".into(),
            ));
        }
        if !cfg.volumes.is_empty() && !self.options.volumes_enabled {
            return Err(DriverError::Config(
                "docker: volumes are not enabled on this client".into(),
            ));
        }
        config::parse_volumes(&cfg.volumes, &spec.task_dir)
    }

    /// The image ID for the task's reference: the local image when there
    /// is one (unless `force_pull`), otherwise a pull bounded by the
    /// client's `pull_timeout`.
    async fn resolve_image(
        &self,
        docker: &Docker,
        cfg: &DockerConfig,
    ) -> Result<String, DriverError> {
        if !cfg.force_pull
            && let Some(id) = local_image(docker, &cfg.image).await?
        {
            return Ok(id);
        }
        let pull = pull(docker, &cfg.image);
        match tokio::time::timeout(self.options.pull_timeout, pull).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => {
                return Err(DriverError::Recoverable(format!(
                    "failed to pull image {}: {why}",
                    cfg.image
                )));
            }
            Err(_) => {
                return Err(DriverError::Recoverable(format!(
                    "failed to pull image {}: no result after {:?}",
                    cfg.image, self.options.pull_timeout
                )));
            }
        }
        local_image(docker, &cfg.image).await?.ok_or_else(|| {
            DriverError::Recoverable(format!(
                "failed to pull image {}: the engine reported success but has no such image",
                cfg.image
            ))
        })
    }

    /// Creates the container, dealing with a container that already has
    /// the name (a previous attempt of this task, or a crashed client's).
    async fn create_container(
        &self,
        docker: &Docker,
        spec: &TaskSpec,
        body: &ContainerCreateBody,
    ) -> Result<Created, DriverError> {
        let name = &spec.instance_name;
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        let mut backoff = CREATE_BACKOFF;
        for _ in 0..CREATE_ATTEMPTS {
            let err = match docker
                .create_container(Some(options.clone()), body.clone())
                .await
            {
                Ok(created) => return Ok(Created::New(created.id)),
                Err(e) => e,
            };
            if status(&err) != Some(409) {
                return Err(failed("create container", &err));
            }
            if let Some(existing) = self.clear_name(docker, spec).await? {
                return Ok(Created::Adopted(Box::new(existing)));
            }
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
        Err(DriverError::Recoverable(format!(
            "failed to create container: the name {name} was still taken after {CREATE_ATTEMPTS} attempts"
        )))
    }

    /// Looks at the container holding the task's name: a running container
    /// of the same allocation and node is returned for adoption; any other
    /// container of this node is removed. Another node's container is
    /// never touched.
    async fn clear_name(
        &self,
        docker: &Docker,
        spec: &TaskSpec,
    ) -> Result<Option<ContainerInspectResponse>, DriverError> {
        let name = &spec.instance_name;
        let existing = match docker.inspect_container(name, None).await {
            Ok(c) => c,
            // Gone in between: the next create may succeed.
            Err(e) if status(&e) == Some(404) => return Ok(None),
            Err(e) => return Err(failed("inspect the container holding the task's name", &e)),
        };
        let labels = existing
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default();
        let node = labels.get(LABEL_NODE_ID).map(String::as_str).unwrap_or("");
        if node != spec.node_id {
            return Err(DriverError::Recoverable(format!(
                "failed to create container: the name {name} is taken by a container that \
                 node {node:?} owns, not this node"
            )));
        }
        let same_alloc = labels.get(LABEL_ALLOC_ID) == Some(&spec.alloc_id);
        let running = existing.state.as_ref().and_then(|s| s.running) == Some(true);
        if same_alloc && running {
            return Ok(Some(existing));
        }
        let id = existing.id.as_deref().unwrap_or(name);
        match docker.remove_container(id, Some(force_remove())).await {
            Ok(()) => Ok(None),
            Err(e) if matches!(status(&e), Some(404) | Some(409)) => Ok(None),
            Err(e) => Err(failed("remove the leftover container", &e)),
        }
    }

    /// Takes over a running container of the same task: its output is
    /// followed from now on (what it printed before was already captured
    /// by whoever started it).
    fn adopt(
        &self,
        existing: ContainerInspectResponse,
        spec: &TaskSpec,
    ) -> Result<TaskHandle, DriverError> {
        let id = existing.id.clone().ok_or_else(|| {
            DriverError::Recoverable("failed to adopt container: the engine gave no ID".into())
        })?;
        let image_id = existing.image.clone().unwrap_or_default();
        let ip = container_ip(&existing);
        let image_ref = existing
            .config
            .as_ref()
            .and_then(|c| c.labels.as_ref())
            .and_then(|l| l.get(LABEL_IMAGE_REF).cloned())
            .unwrap_or_default();
        let docker = self.docker()?;
        let since = super::logs::resume_since(&spec.logs);
        self.follow_logs(&docker, &id, spec, since);
        let mut h = handle(id, &image_id, &image_ref);
        if let Some(ip) = ip {
            h.details.insert(DETAIL_IP_ADDRESS.to_string(), ip);
        }
        Ok(h)
    }
}

/// The ID of the local image `reference`, if the engine has it.
async fn local_image(docker: &Docker, reference: &str) -> Result<Option<String>, DriverError> {
    match docker.inspect_image(reference).await {
        Ok(image) => match image.id {
            Some(id) => Ok(Some(id)),
            None => Err(DriverError::Recoverable(format!(
                "failed to inspect image {reference}: the engine gave no ID"
            ))),
        },
        Err(e) if status(&e) == Some(404) => Ok(None),
        Err(e) => Err(failed(&format!("inspect image {reference}"), &e)),
    }
}

/// Pulls `reference`, reading the engine's progress to the end; an error
/// in the stream is the pull's error.
async fn pull(docker: &Docker, reference: &str) -> Result<(), String> {
    let options = CreateImageOptionsBuilder::default()
        .from_image(&config::pull_reference(reference))
        .build();
    let mut progress = docker.create_image(Some(options), None, None);
    while let Some(item) = progress.next().await {
        match item {
            Ok(info) => {
                if let Some(e) = info.error_detail.and_then(|d| d.message) {
                    return Err(e);
                }
            }
            Err(e) => return Err(describe(&e)),
        }
    }
    Ok(())
}

fn force_remove() -> bollard::query_parameters::RemoveContainerOptions {
    RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build()
}

/// The container's address on its network: the default bridge's, else
/// the first network's that has one.
fn container_ip(c: &ContainerInspectResponse) -> Option<String> {
    let networks = c.network_settings.as_ref()?.networks.as_ref()?;
    let ip =
        |e: &bollard::models::EndpointSettings| e.ip_address.clone().filter(|ip| !ip.is_empty());
    networks
        .get("bridge")
        .and_then(ip)
        .or_else(|| networks.values().find_map(ip))
}

fn handle(id: String, image_id: &str, image_ref: &str) -> TaskHandle {
    let mut details = BTreeMap::new();
    details.insert("image_id".to_string(), image_id.to_string());
    details.insert("image_ref".to_string(), image_ref.to_string());
    TaskHandle {
        driver: DRIVER_NAME.to_string(),
        id,
        started_at: crate::ids::now_nanos(),
        details,
    }
}

/// The container's configuration. It is created from the image ID, so a
/// tag moved later does not change what a restart runs; the reference is
/// kept in a label.
fn container_body(
    spec: &TaskSpec,
    cfg: &DockerConfig,
    image_id: &str,
    volumes: &[Volume],
) -> ContainerCreateBody {
    let (exposed, bindings) = ports(spec);
    let cmd = match (&cfg.command, cfg.args.is_empty()) {
        (Some(c), _) => Some(
            std::iter::once(c.clone())
                .chain(cfg.args.iter().cloned())
                .collect(),
        ),
        (None, false) => Some(cfg.args.clone()),
        (None, true) => None,
    };
    ContainerCreateBody {
        image: Some(image_id.to_string()),
        labels: Some(labels(spec, cfg)),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        cmd,
        entrypoint: (!cfg.entrypoint.is_empty()).then(|| cfg.entrypoint.clone()),
        exposed_ports: Some(exposed),
        hostname: cfg.hostname.clone(),
        user: (!spec.user.is_empty()).then(|| spec.user.clone()),
        working_dir: cfg.work_dir.clone(),
        host_config: Some(host_config(spec, cfg, bindings, volumes)),
        ..Default::default()
    }
}

/// User labels, then the driver's (which win).
fn labels(spec: &TaskSpec, cfg: &DockerConfig) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = cfg.labels.clone().into_iter().collect();
    labels.insert(LABEL_ALLOC_ID.into(), spec.alloc_id.clone());
    labels.insert(LABEL_NODE_ID.into(), spec.node_id.clone());
    labels.insert(LABEL_TASK_NAME.into(), spec.task_name.clone());
    labels.insert(LABEL_IMAGE_REF.into(), cfg.image.clone());
    labels
}

/// Exposed ports and bindings: each task port is published on its host
/// address and port, for TCP and UDP alike (as Nomad does).
fn ports(spec: &TaskSpec) -> (Vec<String>, PortMap) {
    let mut exposed = Vec::new();
    let mut bindings: PortMap = HashMap::new();
    for p in &spec.ports {
        for proto in ["tcp", "udp"] {
            let key = format!("{}/{proto}", p.container_port);
            if !exposed.contains(&key) {
                exposed.push(key.clone());
            }
            bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(EnginePortBinding {
                    host_ip: Some(p.host_ip.clone()),
                    host_port: Some(p.host_port.to_string()),
                });
        }
    }
    (exposed, bindings)
}

fn host_config(
    spec: &TaskSpec,
    cfg: &DockerConfig,
    bindings: PortMap,
    volumes: &[Volume],
) -> HostConfig {
    let (memory, reservation) = memory(spec);
    let mut binds = vec![
        format!("{}:/alloc", spec.alloc_dir.display()),
        format!("{}:/local", spec.local_dir.display()),
        format!("{}:/secrets", spec.secrets_dir.display()),
    ];
    binds.extend(volumes.iter().map(Volume::bind));
    HostConfig {
        cpu_shares: Some(spec.cpu_mhz.max(2)),
        memory: Some(memory),
        memory_reservation: reservation,
        // Equal to the limit: no swap.
        memory_swap: Some(memory),
        port_bindings: Some(bindings),
        binds: Some(binds),
        network_mode: cfg.network_mode.clone(),
        dns: (!cfg.dns_servers.is_empty()).then(|| cfg.dns_servers.clone()),
        privileged: cfg.privileged.then_some(true),
        // The engine keeps a bounded copy of the output; the task's log
        // files are written from it by the follower.
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".into()),
            config: Some(HashMap::from([
                ("max-size".to_string(), "2m".to_string()),
                ("max-file".to_string(), "2".to_string()),
            ])),
        }),
        ..Default::default()
    }
}

/// The memory limit in bytes and the soft reservation: with `memory_max`
/// above `memory`, the limit is `memory_max` and `memory` is reserved.
fn memory(spec: &TaskSpec) -> (i64, Option<i64>) {
    let memory = spec.memory_mb.max(0) * MIB;
    if spec.memory_max_mb > spec.memory_mb {
        (spec.memory_max_mb * MIB, Some(memory))
    } else {
        (memory, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::driver::{LogSpec, PortBinding};
    use std::path::PathBuf;

    fn spec() -> TaskSpec {
        TaskSpec {
            alloc_id: "a1".into(),
            task_name: "redis".into(),
            node_id: "n1".into(),
            instance_name: "redis-a1".into(),
            config: Default::default(),
            env: BTreeMap::from([("A".to_string(), "1".to_string())]),
            cpu_mhz: 500,
            memory_mb: 256,
            memory_max_mb: 0,
            ports: vec![PortBinding {
                label: "db".into(),
                host_ip: "127.0.1.1".into(),
                host_port: 22000,
                container_port: 6379,
            }],
            alloc_dir: PathBuf::from("/a/alloc"),
            local_dir: PathBuf::from("/a/redis/local"),
            secrets_dir: PathBuf::from("/a/redis/secrets"),
            task_dir: PathBuf::from("/a/redis"),
            logs: LogSpec {
                dir: PathBuf::from("/a/alloc/logs"),
                task: "redis".into(),
                max_files: 2,
                max_file_size: 100,
            },
            user: String::new(),
        }
    }

    #[test]
    fn the_body_carries_resources_ports_and_labels() {
        let cfg = DockerConfig {
            image: "redis:3.2".into(),
            args: vec!["--x".into()],
            ..Default::default()
        };
        let b = container_body(&spec(), &cfg, "sha256:abc", &[]);
        assert_eq!(b.image.as_deref(), Some("sha256:abc"));
        assert_eq!(b.cmd, Some(vec!["--x".to_string()]));
        assert_eq!(b.env, Some(vec!["A=1".to_string()]));
        assert_eq!(
            b.exposed_ports,
            Some(vec!["6379/tcp".to_string(), "6379/udp".to_string()])
        );
        let labels = b.labels.unwrap();
        assert_eq!(labels[LABEL_IMAGE_REF], "redis:3.2");
        assert_eq!(labels[LABEL_NODE_ID], "n1");
        let h = b.host_config.unwrap();
        assert_eq!(h.cpu_shares, Some(500));
        assert_eq!(h.memory, Some(268435456));
        assert_eq!(h.memory_swap, Some(268435456));
        assert_eq!(h.memory_reservation, None);
        let udp = h.port_bindings.unwrap()["6379/udp"].clone().unwrap();
        assert_eq!(udp[0].host_ip.as_deref(), Some("127.0.1.1"));
        assert_eq!(udp[0].host_port.as_deref(), Some("22000"));
        assert_eq!(h.binds.unwrap()[0], "/a/alloc:/alloc");
    }

    #[test]
    fn memory_max_becomes_the_limit() {
        let mut s = spec();
        s.memory_max_mb = 512;
        assert_eq!(memory(&s), (512 * MIB, Some(256 * MIB)));
        s.cpu_mhz = 0;
        let h = host_config(&s, &DockerConfig::default(), HashMap::new(), &[]);
        assert_eq!(h.cpu_shares, Some(2));
    }
}
