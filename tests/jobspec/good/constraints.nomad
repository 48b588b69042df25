job "web" {
  datacenters = ["dc1"]
  all_at_once = true
  node_pool   = "edge"
  namespace   = "prod"
  meta = {
    owner = "team-a"
    "cost.center" = 42
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  constraint { attribute = "${attr.nomad.version}"  version = ">= 0.5.5" }
  constraint { distinct_hosts = true }

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 80
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 100
    target "dc1" { percent = 70 }
    target "dc2" { percent = 30 }
  }

  group "web" {
    count = 3

    constraint {
      distinct_property = "${meta.rack}"
      value             = "2"
    }
    constraint {
      attribute = "${attr.cpu.arch}"
      operator  = "regexp"
      value     = "^(amd64|arm64)$"
    }

    reschedule {
      attempts  = 5
      interval  = "1h"
      unlimited = false
    }

    network {
      mode = "bridge"
      port "http" { static = 8080 }
      port "metrics" {}
    }

    task "server" {
      driver = "docker"
      leader = true

      config {
        image = "nginx:1.25"
        ports = ["http", "metrics"]
        labels {
          app = "web"
        }
        labels {
          tier = "front"
        }
      }

      constraint {
        attribute = "${meta.ssd}"
        set_contains = "yes"
      }

      env {
        LISTEN = "0.0.0.0:${NOMAD_PORT_http}"
      }

      service {
        port = "http"
        check {
          type     = "http"
          path     = "/health"
          interval = "1h30m"
          timeout  = "250ms"
          header {
            Authorization = ["Bearer x"]
          }
        }
      }
    }

    task "sidecar" {
      driver = "docker"
      config { image = "busybox:1" command = "sleep" args = ["3600"] }
      lifecycle {
        hook    = "poststart"
        sidecar = true
      }
    }
  }
}
