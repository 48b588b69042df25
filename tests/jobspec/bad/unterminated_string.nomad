# expect: syntax error: unterminated string
# line: 6
job "example" {
  group "cache" {
    task "redis" {
      driver = "docker
    }
  }
}
