# expect: group "cache": unsupported block "tsk"
# line: 5
job "example" {
  group "cache" {
    tsk "redis" {
      driver = "docker"
    }
  }
}
