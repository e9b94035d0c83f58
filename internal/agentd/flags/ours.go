package flags

// KeepOrphans names mesosctl's flag that keeps, at recovery, the running
// containers of previous agent IDs (and the other containers the
// checkpoint does not know), which Mesos 1.11 destroys.
const KeepOrphans = "mesosctl_keep_orphans"

// WarmLaunchers names mesosctl's flag that sets how many container
// launchers (each with its command executor) agentd keeps started ahead
// of the launches of command tasks.
const WarmLaunchers = "mesosctl_warm_launchers"

// Ours are agent flags of mesosctl's own, which no Mesos agent has (a
// Mesos agent given one refuses to start). Their names start with
// "mesosctl_" so that a flag file or MESOS_* variable says whose it is;
// Build is BuildMesosctl, so /flags shows them only when given.
// (config_dir, read by the loader itself, is not listed here.)
var Ours = []Spec{
	{Name: KeepOrphans, Type: TypeBool, Default: "false", HasDefault: true, Build: BuildMesosctl, Effect: Acted,
		Help: "mesosctl only: keep running the containers of previous agent IDs found at recovery, for 'mesosctl tasks --orphans' and 'task kill' (Mesos, and agentd by default, destroys them)"},
	{Name: WarmLaunchers, Type: TypeInt, Default: "2", HasDefault: true, Build: BuildMesosctl, Effect: Acted,
		Help: "mesosctl only: how many container launchers (each with its command executor) to keep started ahead, so that the launch of a command task does not wait for two process starts; 0 starts them at each launch, as Mesos does"},
}

// all is Table followed by Ours.
func all() []*Spec {
	out := make([]*Spec, 0, len(Table)+len(Ours))
	for i := range Table {
		out = append(out, &Table[i])
	}
	for i := range Ours {
		out = append(out, &Ours[i])
	}
	return out
}
