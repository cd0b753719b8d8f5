using System.Net;
using System.Text;
using NetTop.Capture;
using NetTop.Cli;
using NetTop.Model.Export;

namespace NetTop.Modes;

/// <summary>
/// `nettop serve --metrics HOST:PORT`: the hub refreshes on its tick; each scrape of /metrics renders the latest
/// snapshot (nothing is collected on the scrape path). Prometheus, not NetTop, aggregates many hosts.
/// </summary>
public static class ServeMode
{
    public static async Task<int> RunAsync(CommandLine cli, AppOptions options, CancellationToken ct)
    {
        string spec = cli.Get("--metrics") ?? throw new UsageException("serve needs --metrics HOST:PORT (e.g. 127.0.0.1:9469)");
        if (!IPEndPoint.TryParse(spec, out IPEndPoint? ep) || ep.Port == 0)
        {
            throw new UsageException($"--metrics: '{spec}' is not allowed; expected HOST:PORT such as 127.0.0.1:9469 or [::1]:9469");
        }
        string host = ep.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{ep.Address}]" : ep.Address.ToString();
        using HttpListener http = new();
        http.Prefixes.Add($"http://{host}:{ep.Port}/");
        try
        {
            http.Start();
        }
        catch (HttpListenerException e)
        {
            Console.Error.WriteLine($"nettop: cannot listen on {spec}: {e.Message}");
            return ExitCodes.Failure;
        }

        await using CaptureHub hub = CaptureHub.Create(options.Capture);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task capture = Task.Run(() => hub.RunAsync(stop.Token), CancellationToken.None);
        Console.Error.WriteLine($"nettop: serving metrics on http://{host}:{ep.Port}/metrics");
        using CancellationTokenRegistration reg = ct.Register(http.Stop);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                HttpListenerContext ctx;
                try
                {
                    ctx = await http.GetContextAsync().WaitAsync(ct);
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or OperationCanceledException)
                {
                    break;
                }
                Respond(ctx, hub);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await capture.ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    private static void Respond(HttpListenerContext ctx, CaptureHub hub)
    {
        using HttpListenerResponse r = ctx.Response;
        try
        {
            string path = ctx.Request.Url?.AbsolutePath ?? "/";
            byte[] body;
            if (path == "/metrics")
            {
                r.ContentType = PrometheusText.ContentType;
                body = Encoding.UTF8.GetBytes(PrometheusText.Render(hub.Latest));
            }
            else
            {
                r.StatusCode = path == "/" ? 200 : 404;
                r.ContentType = "text/plain; charset=utf-8";
                body = Encoding.UTF8.GetBytes(path == "/" ? "nettop: metrics at /metrics\n" : "not found\n");
            }
            r.ContentLength64 = body.Length;
            r.OutputStream.Write(body);
        }
        catch (Exception e) when (e is HttpListenerException or IOException)
        {
            // The scraper went away mid-response: nothing to do.
        }
    }
}
