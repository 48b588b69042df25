# expect: System jobs should not have a reschedule policy
job "agents" {
  type = "system"
  group "agent" {
    reschedule { attempts = 1 }
    task "agent" { driver = "exec" }
  }
}
