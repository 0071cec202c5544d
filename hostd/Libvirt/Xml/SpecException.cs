namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>A request's parameters break a rule of the spec; the message is one line naming the parameter
/// and the rule, fit to go back to the operator in a failure ACK as it is.</summary>
internal sealed class SpecException(string message) : Exception(message);
