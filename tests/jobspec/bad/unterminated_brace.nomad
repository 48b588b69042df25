# expect: syntax error: unclosed `{`
# line: 3
job "example" {
  group "cache" {
    task "redis" {
      driver = "docker"
    }
  }
