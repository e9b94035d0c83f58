package fanout

// FanoutLimit is the concurrency a command should use: the --fanout flag,
// else defaults.fanout from the configuration, else 64.
func (o *Options) FanoutLimit() int {
	if o.Fanout > 0 {
		return o.Fanout
	}
	if o.Settings != nil {
		if s, err := o.Settings(); err == nil && s.Fanout > 0 {
			return s.Fanout
		}
	}
	return 64
}
