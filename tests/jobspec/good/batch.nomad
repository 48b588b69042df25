job "report" {
  datacenters = ["dc1"]
  type        = "batch"
  priority    = 70

  periodic {
    cron             = "*/15 * * * *"
    prohibit_overlap = true
  }

  group "run" {
    count = 0

    task "generate" {
      driver = "raw_exec"

      config {
        command = "/usr/local/bin/report"
        args    = ["--since", "15m", "--out", "${NOMAD_TASK_DIR}/out.csv"]
      }

      env = {
        LOG_LEVEL     = "debug"
        "REPORT.MODE" = "full"
      }

      template {
        data        = <<EOT
REGION={{ env "NOMAD_REGION" }}
{ not = "hcl" }
EOT
        destination = "local/report.env"
        env         = true
        splay       = "3s"
      }

      artifact {
        source      = "https://example.com/report.tar.gz"
        destination = "local/bin"
        options {
          checksum = "sha256:abcd"
        }
      }

      logs {
        max_files     = 3
        max_file_size = 5
      }

      kill_timeout = "20s"
      kill_signal  = "SIGINT"
    }
  }
}
