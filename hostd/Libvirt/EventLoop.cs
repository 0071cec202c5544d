// libvirt's default event loop, one per process: virEventRegisterDefaultImpl may run only once, and every
// connection opened afterwards dispatches its events (domain lifecycle, close, keepalive) from this thread.
using NLog;
using Vmm.Hostd.Interop;

namespace Vmm.Hostd.Libvirt;

internal static class EventLoop
{
    private static readonly Lock Gate = new();
    private static Thread? _thread;

    /// <summary>Installs the default implementation and starts its thread, once; call before opening a connection.</summary>
    public static void EnsureRunning(Logger log)
    {
        lock (Gate)
        {
            if (_thread is not null) return;
            LibvirtApi.SilenceDefaultErrorOutput();
            LibvirtApi.RegisterDefaultEventImpl();
            // A background thread for the life of the process: the default implementation cannot be
            // unregistered, so there is nothing to stop, and it must not hold the process open at exit.
            _thread = new Thread(() => Run(log)) { IsBackground = true, Name = "libvirt-events" };
            _thread.Start();
        }
    }

    private static void Run(Logger log)
    {
        while (true)
        {
            try
            {
                LibvirtApi.RunDefaultEventImpl();
            }
            catch (HypervisorException e)
            {
                // One failed poll iteration must not end event delivery for the whole process.
                log.Warn("libvirt event loop: {0}", e.Message);
                Thread.Sleep(100);
            }
        }
    }
}
