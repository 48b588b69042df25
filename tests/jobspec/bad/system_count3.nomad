# expect: Job task group agent has count 3. Count cannot exceed 1 with system scheduler
# line: 6
job "agents" {
  type = "system"
  group "agent" {
    count = 3
    task "agent" { driver = "exec" }
  }
}
