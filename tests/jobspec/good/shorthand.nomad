// A job-level task: it becomes a group of the same name.
job "hello" {
  datacenters = ["dc1"]
  task "hello" {
    driver = "raw_exec"
    config {
      command = "/bin/echo"
      args = ["hello"]
    }
  }
}
