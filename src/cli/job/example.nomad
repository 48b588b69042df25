# An example job: one Redis cache running in a Docker container.
# `drover plan example.nomad` shows what submitting it would do, and
# `drover run example.nomad` submits it.
job "example" {
  # The region to run in (the cluster's region when not set).
  # region = "global"

  # The datacenters whose nodes may run the job's tasks.
  datacenters = ["dc1"]

  # "service" keeps tasks running; "batch" runs them to completion;
  # "system" runs one instance on every eligible node.
  type = "service"

  # Constraints restrict which nodes qualify, for the whole job or for a
  # group or a task.
  # constraint {
  #   attribute = "${attr.kernel.name}"
  #   value     = "linux"
  # }

  # How running allocations are replaced when the job changes: at most
  # `max_parallel` at a time.
  update {
    stagger      = "10s"
    max_parallel = 1
  }

  # A group is a set of tasks placed together on one node.
  group "cache" {
    # How many instances of the group to run.
    count = 1

    # What the client does when a task exits or fails: up to `attempts`
    # restarts within `interval`, `delay` apart; then, with mode "delay",
    # wait for the interval to pass, or with mode "fail", give up.
    restart {
      attempts = 10
      interval = "5m"
      delay    = "25s"
      mode     = "delay"
    }

    # Scratch space on the node for the group's tasks, in MB.
    ephemeral_disk {
      size = 300
    }

    # A task is one process: here a Docker container.
    task "redis" {
      driver = "docker"

      # The driver's settings: the image, and the container port that the
      # port labelled "db" maps to.
      config {
        image = "redis:3.2"
        port_map {
          db = 6379
        }
      }

      # Logs kept on the node per stream: at most 10 files of 15 MB.
      # logs {
      #   max_files     = 10
      #   max_file_size = 15
      # }

      # How long to wait after the stop signal before killing the task.
      # kill_timeout = "20s"

      # What the task needs from its node. CPU is in MHz and becomes the
      # container's CPU shares; memory in MB becomes its memory limit.
      resources {
        cpu    = 500 # 500 MHz
        memory = 256 # 256 MB
        network {
          mbits = 10
          # A port chosen by the scheduler on the node's address; the task
          # finds it in NOMAD_PORT_db and NOMAD_ADDR_db.
          port "db" {}
        }
      }

      # The service under which the task is registered for discovery, and
      # its health check.
      service {
        name = "global-redis-check"
        tags = ["global", "cache"]
        port = "db"
        check {
          name     = "alive"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
  }
}
