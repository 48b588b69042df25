# expect: Port label "d-b" is invalid
# line: 7
job "example" {
  group "cache" {
    network {
      mbits = 10
      port "d-b" {}
    }
    task "redis" {
      driver = "exec"
    }
  }
}
