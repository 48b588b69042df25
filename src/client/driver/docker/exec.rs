//! Commands run inside a task's container (`docker exec`), for script
//! health checks: the output read up to a bound, then the exit code.

use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::StreamExt;

use super::{DockerDriver, failed};
use crate::client::driver::{DriverError, ExecOutput};

impl DockerDriver {
    pub(super) async fn exec_task(
        &self,
        id: &str,
        cmd: &[String],
        limit: usize,
    ) -> Result<ExecOutput, DriverError> {
        let docker = self.docker()?;
        let created = docker
            .create_exec(
                id,
                CreateExecOptions {
                    attach_stdout: Some(true),
                    attach_stderr: Some(true),
                    cmd: Some(cmd.to_vec()),
                    ..CreateExecOptions::default()
                },
            )
            .await
            .map_err(|e| failed("create exec", &e))?;
        let started = docker
            .start_exec(
                &created.id,
                Some(StartExecOptions {
                    detach: false,
                    tty: false,
                    output_capacity: None,
                }),
            )
            .await
            .map_err(|e| failed("start exec", &e))?;
        let mut output = Vec::new();
        if let StartExecResults::Attached {
            output: mut stream, ..
        } = started
        {
            while let Some(item) = stream.next().await {
                let chunk = item.map_err(|e| failed("read exec output", &e))?;
                let bytes = chunk.into_bytes();
                let room = limit.saturating_sub(output.len());
                output.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
        }
        let inspected = docker
            .inspect_exec(&created.id)
            .await
            .map_err(|e| failed("inspect exec", &e))?;
        Ok(ExecOutput {
            exit_code: inspected.exit_code.unwrap_or(-1),
            output,
        })
    }
}
