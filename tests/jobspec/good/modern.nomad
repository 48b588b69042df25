# The modern `nomad init` shape: group network and service, HCL2.
job "example" {
  datacenters = ["*"]

  update {
    max_parallel      = 1
    min_healthy_time  = "10s"
    healthy_deadline  = "3m"
    progress_deadline = "10m"
    auto_revert       = false
    canary            = 0
  }

  migrate {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
  }

  ui {
    description = "A **redis** cache"
    link {
      label = "Redis"
      url   = "https://redis.io"
    }
  }

  group "cache" {
    network {
      port "db" {
        to = 6379
      }
    }

    service {
      name     = "redis-cache"
      tags     = ["global", "cache"]
      port     = "db"
      provider = "nomad"

      check {
        name     = "alive"
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        name     = "ping"
        type     = "script"
        task     = "redis"
        command  = "/usr/local/bin/redis-cli"
        args     = ["ping"]
        interval = "30s"
        timeout  = "5s"

        check_restart {
          limit = 5
        }
      }

      check_restart {
        limit           = 3
        grace           = "90s"
        ignore_warnings = true
      }
    }

    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    ephemeral_disk {
      size = 300
    }

    scaling {
      enabled = true
      max     = 5

      policy {
        cooldown = "1m"

        check "cpu" {
          source = "prometheus"
          query  = "avg(cpu)"
        }
      }
    }

    task "redis" {
      driver = "docker"

      config {
        image          = "redis:7"
        ports          = ["db"]
        auth_soft_fail = true
      }

      shutdown_delay = "10s"

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
