global using Vmm.Controller;
global using Vmm.Controller.Admin;
global using Vmm.Controller.Ingest;
global using Vmm.Controller.Inventory;
global using Vmm.Controller.Placement;
